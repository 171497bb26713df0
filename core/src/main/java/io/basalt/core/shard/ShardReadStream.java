package io.basalt.core.shard;

import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ReadShardResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A byte range of one shard, pulled from its storage node with explicit flow control: at
 * most {@link #WINDOW} messages are in flight, so a slow S3 client slows the node instead of
 * filling the gateway's heap.
 */
public final class ShardReadStream implements AutoCloseable {

    private static final int WINDOW = 2;
    private static final Object END = new Object();

    private final String nodeId;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final long idleTimeoutMs;
    private volatile ClientCallStreamObserver<ReadShardRequest> call;
    private ByteBuffer current = ByteBuffer.allocate(0);
    private boolean ended;

    private ShardReadStream(String nodeId, long idleTimeoutMs) {
        this.nodeId = nodeId;
        this.idleTimeoutMs = idleTimeoutMs;
    }

    public static ShardReadStream open(ShardClients clients, String nodeId, String address, String shardId,
                                       long offset, long length, long idleTimeoutMs) {
        ShardReadStream s = new ShardReadStream(nodeId, idleTimeoutMs);
        clients.async(address).readShard(
                ReadShardRequest.newBuilder().setShardId(shardId).setOffset(offset).setLength(length).build(),
                s.new Observer());
        return s;
    }

    public String nodeId() {
        return nodeId;
    }

    /** Fills {@code dst[0, len)} with the next bytes of the range. */
    public void readFully(byte[] dst, int len) throws IOException {
        int pos = 0;
        while (pos < len) {
            if (!current.hasRemaining()) {
                current = next();
                continue;
            }
            int n = Math.min(len - pos, current.remaining());
            current.get(dst, pos, n);
            pos += n;
        }
    }

    private ByteBuffer next() throws IOException {
        if (ended) throw new IOException("shard on " + nodeId + " ended early");
        Object item;
        try {
            item = queue.poll(idleTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (item == null) throw new IOException("storage node " + nodeId + " sent nothing for " + idleTimeoutMs + " ms");
        if (item instanceof Throwable t) {
            ended = true;
            throw new ShardReadException(nodeId, t);
        }
        if (item == END) {
            ended = true;
            throw new IOException("shard on " + nodeId + " ended early");
        }
        call.request(1);
        return ((ReadShardResponse) item).getData().asReadOnlyByteBuffer();
    }

    @Override
    public void close() {
        if (call != null) call.cancel("reader closed", null);
    }

    private final class Observer implements ClientResponseObserver<ReadShardRequest, ReadShardResponse> {
        @Override
        public void beforeStart(ClientCallStreamObserver<ReadShardRequest> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(WINDOW);
        }

        @Override
        public void onNext(ReadShardResponse value) {
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
