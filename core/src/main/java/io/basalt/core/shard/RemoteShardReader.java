package io.basalt.core.shard;

import io.basalt.proto.shard.ReadShardRequest;
import io.grpc.CallOptions;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A byte range of one shard, pulled from its storage node with explicit flow control: at
 * most {@link #WINDOW} messages are in flight, so a slow S3 client slows the node instead of
 * filling the gateway's memory. The bytes are handed out as views of the received messages
 * ({@link #take}); {@link #readFully} copies them for callers that need them in their own array.
 * The caller's end of ReadShard; the node's end is storage-node's {@code ChunkSender}.
 */
public final class RemoteShardReader implements AutoCloseable {

    private static final int WINDOW = 2;
    private static final Object END = new Object();

    private final String nodeId;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final long idleTimeoutMs;
    private volatile ClientCallStreamObserver<ReadShardRequest> call;
    private ShardMessage current; // the message being taken from, or null
    private boolean ended;
    private long expected; // shard offset the next message must start at

    private RemoteShardReader(String nodeId, long offset, long idleTimeoutMs) {
        this.nodeId = nodeId;
        this.expected = offset;
        this.idleTimeoutMs = idleTimeoutMs;
    }

    public static RemoteShardReader open(
            ShardClients clients,
            String nodeId,
            String address,
            String shardId,
            long offset,
            long length,
            long idleTimeoutMs) {
        RemoteShardReader s = new RemoteShardReader(nodeId, offset, idleTimeoutMs);
        ClientCalls.asyncServerStreamingCall(
                clients.channel(address).newCall(ShardMessage.READ_SHARD, CallOptions.DEFAULT),
                ReadShardRequest.newBuilder()
                        .setShardId(shardId)
                        .setOffset(offset)
                        .setLength(length)
                        .build(),
                s.new Observer());
        return s;
    }

    public String nodeId() {
        return nodeId;
    }

    /** Fills {@code dst[0, len)} with the next bytes of the range. */
    public void readFully(byte[] dst, int len) throws IOException {
        take(len).copyTo(dst, 0);
    }

    /** The next {@code len} bytes of the range, as views of the received messages (not copied). */
    public ShardBytes take(int len) throws IOException {
        List<ByteBuffer> parts = new ArrayList<>(2);
        int need = len;
        while (need > 0) {
            if (current == null || current.remaining() == 0) current = next();
            need -= current.take(need, parts);
        }
        return new ShardBytes(parts.toArray(ByteBuffer[]::new), len);
    }

    private ShardMessage next() throws IOException {
        if (ended) throw new IOException("shard on " + nodeId + " ended early");
        Object item;
        try {
            item = queue.poll(idleTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (item == null)
            throw new IOException("storage node " + nodeId + " sent nothing for " + idleTimeoutMs + " ms");
        if (item instanceof Throwable t) {
            ended = true;
            throw new ShardReadException(nodeId, t);
        }
        if (item == END) {
            ended = true;
            throw new IOException("shard on " + nodeId + " ended early");
        }
        call.request(1);
        ShardMessage m = (ShardMessage) item;
        if (m.offset() != expected) {
            ended = true;
            throw new IOException("shard on " + nodeId + " sent offset " + m.offset() + ", expected " + expected);
        }
        expected += m.length();
        return m;
    }

    @Override
    public void close() {
        if (call != null) call.cancel("reader closed", null);
        current = null;
        queue.clear();
    }

    private final class Observer implements ClientResponseObserver<ReadShardRequest, ShardMessage> {
        @Override
        public void beforeStart(ClientCallStreamObserver<ReadShardRequest> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(WINDOW);
        }

        @Override
        public void onNext(ShardMessage value) {
            queue.add(value);
        }

        @Override
        public void onError(Throwable t) {
            queue.add(t);
        }

        @Override
        public void onCompleted() {
            queue.add(END);
        }
    }
}
