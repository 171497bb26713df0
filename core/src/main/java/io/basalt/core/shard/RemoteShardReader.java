package io.basalt.core.shard;

import com.google.common.util.concurrent.MoreExecutors;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.shard.ReadShardRequest;
import io.grpc.CallOptions;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A byte range of one shard, pulled from its storage node with explicit flow control: at
 * most {@code window} messages are received ahead of the reader, so a slow S3 client slows the
 * node instead of filling the gateway's memory. The bytes are handed out as views of the buffers
 * they arrived in ({@link #take}), valid until the next {@code take} or {@link #close}, which give
 * those buffers back to the transport; {@link #readFully} copies them for callers that need them
 * in their own array. The caller's end of ReadShard; the node's end is storage-node's
 * {@code ChunkSender}. The bytes come over the node's data port when it has one ({@link DataConnections}),
 * else over gRPC; either way through the same queue, window and errors.
 */
public final class RemoteShardReader implements AutoCloseable {

    /** Messages in flight when the caller does not say. */
    public static final int DEFAULT_WINDOW = 2;

    private static final Object END = new Object();
    // Messages are parsed and queued on the transport's thread (they are views, not copies, and
    // the queue never blocks): one thread hop from the socket to the reader instead of two.
    private static final CallOptions DIRECT = CallOptions.DEFAULT.withExecutor(MoreExecutors.directExecutor());

    private final String nodeId;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> answered = new CompletableFuture<>();
    private final CompletableFuture<Void> callEnded = new CompletableFuture<>();
    private final List<ShardMessage> spent = new ArrayList<>(2); // taken whole; released at the next take
    private final long idleTimeoutMs;
    private final int window;
    private final Runnable onArrival;
    private volatile ReadCall call;
    private ShardMessage current; // the message being taken from, or null
    private Object peeked; // taken off the queue by awaitBytes, not yet by next()
    private boolean ended;
    private boolean closed; // guarded by queue: no message is queued after close
    private long expected; // shard offset the next message must start at
    private final long end; // shard offset the range ends at, or -1 for "to the end of the shard"

    private RemoteShardReader(
            String nodeId, long offset, long length, long idleTimeoutMs, int window, Runnable onArrival) {
        if (window < 1) throw new IllegalArgumentException("window " + window);
        this.nodeId = nodeId;
        this.onArrival = onArrival;
        this.expected = offset;
        this.end = length > 0 ? offset + length : -1;
        this.idleTimeoutMs = idleTimeoutMs;
        this.window = window;
    }

    public static RemoteShardReader open(
            ShardClients clients,
            String nodeId,
            String address,
            String shardId,
            long offset,
            long length,
            long idleTimeoutMs) {
        return open(clients, nodeId, address, shardId, offset, length, idleTimeoutMs, DEFAULT_WINDOW);
    }

    /** @param window messages the node may send ahead of the reader (each at most one stored chunk) */
    public static RemoteShardReader open(
            ShardClients clients,
            String nodeId,
            String address,
            String shardId,
            long offset,
            long length,
            long idleTimeoutMs,
            int window) {
        return open(clients, nodeId, address, shardId, offset, length, idleTimeoutMs, window, () -> {});
    }

    /**
     * As above, over gRPC; {@code onArrival} runs on the transport's thread after each message, error or end
     * is queued, so one reader can wait for whichever of several streams answers first.
     */
    public static RemoteShardReader open(
            ShardClients clients,
            String nodeId,
            String address,
            String shardId,
            long offset,
            long length,
            long idleTimeoutMs,
            int window,
            Runnable onArrival) {
        RemoteShardReader s = new RemoteShardReader(nodeId, offset, length, idleTimeoutMs, window, onArrival);
        s.overGrpc(clients, address, request(shardId, offset, length));
        return s;
    }

    /** From {@code node}'s data port when its record names one, else over gRPC; as above otherwise. */
    public static RemoteShardReader open(
            ShardClients clients,
            NodeRecord node,
            String shardId,
            long offset,
            long length,
            long idleTimeoutMs,
            int window,
            Runnable onArrival) {
        RemoteShardReader s = new RemoteShardReader(node.getNodeId(), offset, length, idleTimeoutMs, window, onArrival);
        ReadShardRequest request = request(shardId, offset, length);
        if (node.getDataAddress().isEmpty()) s.overGrpc(clients, node.getAddress(), request);
        else s.call = clients.data().read(node.getDataAddress(), request, window, s);
        return s;
    }

    private static ReadShardRequest request(String shardId, long offset, long length) {
        return ReadShardRequest.newBuilder()
                .setShardId(shardId)
                .setOffset(offset)
                .setLength(length)
                .build();
    }

    private void overGrpc(ShardClients clients, String address, ReadShardRequest request) {
        ClientCalls.asyncServerStreamingCall(
                clients.channel(address).newCall(ShardMessage.READ_SHARD, DIRECT), request, new Observer());
    }

    public static RemoteShardReader open(
            ShardClients clients,
            NodeRecord node,
            String shardId,
            long offset,
            long length,
            long idleTimeoutMs,
            int window) {
        return open(clients, node, shardId, offset, length, idleTimeoutMs, window, () -> {});
    }

    public String nodeId() {
        return nodeId;
    }

    /**
     * Completes when the node first answers (bytes, an error or the end): lets a caller race two
     * copies and keep the one that answers first.
     */
    public CompletableFuture<Void> answered() {
        return answered;
    }

    /**
     * Completes when the call has ended (its status came, whatever it was): only then has the
     * transport let go of every message it received for this reader.
     */
    CompletableFuture<Void> callEnded() {
        return callEnded;
    }

    /**
     * Whether the node's answer, before any bytes, is that the shard is lost (see
     * {@link ShardReadException#lost}): lets a caller that raced this copy and kept another still
     * report it for healing. Read before the first {@link #take}.
     */
    public boolean answeredLost() {
        return queue.peek() instanceof Throwable t && new ShardReadException(nodeId, t).lost();
    }

    /** Fills {@code dst[0, len)} with the next bytes of the range. */
    public void readFully(byte[] dst, int len) throws IOException {
        take(len).copyTo(dst, 0);
    }

    /**
     * The next {@code len} bytes of the range, as views of the received buffers (not copied),
     * valid until the next call or {@link #close}.
     */
    public ShardBytes take(int len) throws IOException {
        releaseSpent();
        List<ByteBuffer> parts = new ArrayList<>(20);
        int need = len;
        while (need > 0) {
            if (current == null) current = next();
            need -= current.take(need, parts);
            if (current.remaining() == 0) {
                spent.add(current);
                current = null;
            }
        }
        return new ShardBytes(parts.toArray(ByteBuffer[]::new), len);
    }

    /**
     * Waits up to {@code nanos} for the next bytes of the range (or the stream's end or error) to
     * be at hand, without taking them; false if nothing came in that time. Lets a caller give a
     * slow shard a short deadline and read another in its place while this stream stays open.
     */
    public boolean awaitBytes(long nanos) throws IOException {
        if (current != null || peeked != null || ended) return true;
        try {
            peeked = queue.poll(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return peeked != null;
    }

    private void releaseSpent() {
        for (ShardMessage m : spent) m.release();
        spent.clear();
    }

    private ShardMessage next() throws IOException {
        if (ended) throw new IOException("shard on " + nodeId + " ended early");
        Object item = peeked;
        peeked = null;
        try {
            if (item == null) item = queue.poll(idleTimeoutMs, TimeUnit.MILLISECONDS);
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
        ShardMessage m = (ShardMessage) item;
        if (m.offset() != expected) {
            ended = true;
            m.release();
            throw new IOException("shard on " + nodeId + " sent offset " + m.offset() + ", expected " + expected);
        }
        expected += m.length();
        // A grant is a hop to the transport's thread; after the range's last message none is needed
        // (the end of the call comes without one). A ranged GET's streams are often a single message.
        if (end < 0 || expected < end) call.consumed();
        return m;
    }

    /** Cancels the call if it is still running and gives every buffer held back to the transport. */
    @Override
    public void close() {
        releaseSpent();
        if (current != null) current.release();
        current = null;
        if (peeked instanceof ShardMessage m) m.release();
        peeked = null;
        synchronized (queue) {
            closed = true;
            for (Object item : queue) if (item instanceof ShardMessage m) m.release();
            queue.clear();
        }
        ReadCall c = call;
        if (c == null || callEnded.isDone()) return; // a call that ended holds nothing (and a cancel is a hop)
        c.cancel();
    }

    /** A message of the range, on the transport's thread. */
    void arrived(ShardMessage value) {
        synchronized (queue) {
            if (closed) {
                value.release(); // arrived after the reader was closed
                return;
            }
            queue.add(value);
        }
        answered.complete(null);
        onArrival.run();
    }

    /** The node's error (a gRPC status) or the transport's; the stream is over. */
    void failed(Throwable t) {
        queue.add(t);
        answered.complete(null);
        callEnded.complete(null);
        onArrival.run();
    }

    /** The node sent the whole range. */
    void ended() {
        queue.add(END);
        answered.complete(null);
        callEnded.complete(null);
        onArrival.run();
    }

    /** The transport under a reader. */
    interface ReadCall {
        /** The reader took a message: the transport may deliver one more. */
        void consumed();

        /** The reader is closed before the stream ended: stop it and free what it holds. */
        void cancel();
    }

    private final class Observer implements ClientResponseObserver<ReadShardRequest, ShardMessage>, ReadCall {
        private ClientCallStreamObserver<ReadShardRequest> stream;

        @Override
        public void beforeStart(ClientCallStreamObserver<ReadShardRequest> requestStream) {
            stream = requestStream;
            call = this;
            requestStream.disableAutoRequestWithInitial(window);
        }

        @Override
        public void consumed() {
            stream.request(1);
        }

        @Override
        public void cancel() {
            stream.cancel("reader closed", null);
            // The cancel travels through the connection's pipeline, and on a connection that has closed
            // meanwhile it is dropped: the messages the transport received but did not deliver (up to
            // the flow-control window, in pooled direct memory) then stay in the call forever, since a
            // closed connection only ends a call once its messages are asked for. Asking for all of them
            // lets the call deliver them (onNext releases each, this reader being closed) and end.
            stream.request(Integer.MAX_VALUE);
        }

        @Override
        public void onNext(ShardMessage value) {
            arrived(value);
        }

        @Override
        public void onError(Throwable t) {
            failed(t);
        }

        @Override
        public void onCompleted() {
            ended();
        }
    }
}
