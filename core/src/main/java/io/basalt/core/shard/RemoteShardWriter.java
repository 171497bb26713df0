package io.basalt.core.shard;

import com.google.protobuf.UnsafeByteOperations;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.shard.Chunk;
import io.basalt.proto.shard.ShardInfo;
import io.basalt.proto.shard.WriteShardHeader;
import io.basalt.proto.shard.WriteShardRequest;
import io.basalt.proto.shard.WriteShardResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * One shard being streamed to a storage node. {@link #write} blocks while the transport's
 * outbound buffer is full, so a fast client cannot make the gateway buffer a whole object.
 * The caller's end of WriteShard; the node's end is storage-node's {@code ShardWriteSession}. The chunks go
 * to the node's data port when it has one ({@link DataConnections}), else over gRPC.
 */
public final class RemoteShardWriter {

    private final String nodeId;
    private final CompletableFuture<ShardInfo> done = new CompletableFuture<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final long stallTimeoutMs;
    private final int readyThreshold;
    /** Bytes sent so far; the first {@link #readyThreshold} go out without waiting for onReady. */
    private long sent;
    /** CRC32C of the bytes sent so far: what the node's acknowledgement will say, known before it comes. */
    private int sentCrc32c;
    /** {@link Crc32cCombine#operator} of a whole chunk, computed once: every chunk but a last one is whole. */
    private final int chunkSize;

    private final int fullChunkOperator;

    private volatile WriteCall call;

    private RemoteShardWriter(String nodeId, long stallTimeoutMs, int readyThreshold, int chunkSize) {
        this.nodeId = nodeId;
        this.chunkSize = chunkSize;
        this.fullChunkOperator = Crc32cCombine.operator(chunkSize);
        this.stallTimeoutMs = stallTimeoutMs;
        this.readyThreshold = readyThreshold;
    }

    public static RemoteShardWriter open(
            ShardClients clients, String nodeId, String address, String shardId, int chunkSize, long stallTimeoutMs) {
        int threshold = threshold(chunkSize);
        RemoteShardWriter w = new RemoteShardWriter(nodeId, stallTimeoutMs, threshold, chunkSize);
        // The observer only completes a future and signals a condition: run it on the transport's
        // thread rather than hopping to an executor for each acknowledgement and onReady.
        Observer grpc = w.new Observer();
        clients.async(address)
                .withExecutor(Runnable::run)
                .withOnReadyThreshold(threshold)
                .writeShard(grpc);
        grpc.stream.onNext(WriteShardRequest.newBuilder()
                .setHeader(header(shardId, chunkSize))
                .build());
        return w;
    }

    /** To {@code node}'s data port when its record names one, else over gRPC; as above otherwise. */
    public static RemoteShardWriter open(
            ShardClients clients, NodeRecord node, String shardId, int chunkSize, long stallTimeoutMs) {
        if (node.getDataAddress().isEmpty())
            return open(clients, node.getNodeId(), node.getAddress(), shardId, chunkSize, stallTimeoutMs);
        RemoteShardWriter w = new RemoteShardWriter(node.getNodeId(), stallTimeoutMs, threshold(chunkSize), chunkSize);
        w.call = clients.data().write(node.getDataAddress(), header(shardId, chunkSize), w);
        return w;
    }

    /**
     * Bytes that go out without waiting for the transport: about two chunks queue per stream, so the encoder
     * keeps working while the transport drains, and memory stays bounded at a few chunks per shard.
     */
    private static int threshold(int chunkSize) {
        return Math.max(2 * chunkSize, 64 << 10);
    }

    private static WriteShardHeader header(String shardId, int chunkSize) {
        return WriteShardHeader.newBuilder()
                .setShardId(shardId)
                .setChunkSize(chunkSize)
                .build();
    }

    public String nodeId() {
        return nodeId;
    }

    /** Sends one chunk; the array must not be modified afterwards unless {@link #copiesChunks()}. */
    public void write(byte[] data, int length) throws IOException {
        write(data, length, TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs));
    }

    /**
     * As {@link #write(byte[], int)}, giving up with a {@link Stalled} when the stream takes no
     * data for {@code patienceNanos} (at most the stall timeout).
     * @return how long it waited for the stream to take data (0 when it had room)
     */
    public long write(byte[] data, int length, long patienceNanos) throws IOException {
        // A new stream is not ready until the transport has set it up (a hop through the event
        // loop); gRPC queues messages meanwhile. Not waiting for that with the first threshold's
        // worth of bytes spares a small body k+m such waits, and memory stays bounded the same.
        long waited = 0;
        if (sent + length > readyThreshold) {
            waited = awaitReady(Math.min(patienceNanos, TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs)));
        } else {
            failIfDone();
        }
        sent += length;
        CRC32C crc = new CRC32C();
        crc.update(data, 0, length);
        int chunkCrc = (int) crc.getValue();
        sentCrc32c = Crc32cCombine.combine(
                sentCrc32c, chunkCrc, length == chunkSize ? fullChunkOperator : Crc32cCombine.operator(length));
        call.send(data, length, chunkCrc);
        return waited;
    }

    /**
     * Whether {@link #write} is done with the array when it returns: the data port copies each chunk into a frame.
     * Over gRPC the array may still be referenced, so a caller must not reuse it.
     */
    public boolean copiesChunks() {
        return !(call instanceof Observer);
    }

    /** Bytes of the shard sent so far (some may still wait in the transport). */
    public long sentBytes() {
        return sent;
    }

    /** The CRC32C of every byte sent: the whole shard's once it is complete. */
    public int sentCrc32c() {
        return sentCrc32c;
    }

    /** The node took no data for as long as the writer was willing to wait: slow or stopped, not failed. */
    public static final class Stalled extends IOException {
        Stalled(String message) {
            super(message);
        }
    }

    /** Ends the stream and waits until the node has made the shard durable. */
    public ShardInfo finish(long timeoutMs) throws IOException {
        complete();
        return awaitDurable(timeoutMs);
    }

    /**
     * Ends the stream without waiting: the node starts its fsync and rename. Completing every
     * shard of a stripe set first and then waiting lets the nodes commit in parallel.
     */
    public void complete() throws IOException {
        failIfDone();
        call.complete();
    }

    /** Waits for the node's acknowledgement that the completed shard is durable. */
    public ShardInfo awaitDurable(long timeoutMs) throws IOException {
        try {
            return done.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new ShardWriteException(
                    "shard write to " + nodeId + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            call.cancel("timeout");
            throw new ShardWriteException("shard write to " + nodeId + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Completes when the node acknowledged the shard durable, or the stream failed. */
    public CompletableFuture<ShardInfo> durable() {
        return done;
    }

    public void abort(String why) {
        if (call != null && !done.isDone()) call.cancel(why);
    }

    /** Waits up to {@code patienceNanos} for the stream to take data; returns how long it waited. */
    private long awaitReady(long patienceNanos) throws IOException {
        failIfDone();
        if (call.isReady()) return 0;
        long start = System.nanoTime();
        long deadline = start + patienceNanos;
        lock.lock();
        try {
            while (!call.isReady()) {
                failIfDone();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new Stalled("storage node " + nodeId + " took no data for "
                            + TimeUnit.NANOSECONDS.toMillis(patienceNanos) + " ms");
                }
                ready.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            return System.nanoTime() - start;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            lock.unlock();
        }
    }

    private void failIfDone() throws IOException {
        if (done.isCompletedExceptionally()) {
            try {
                done.join();
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw new ShardWriteException("shard write to " + nodeId + " failed: " + cause.getMessage(), cause);
            }
        }
    }

    /** The node made the shard durable. */
    void acknowledged(ShardInfo info) {
        done.complete(info);
    }

    /** The node refused the shard (a gRPC status) or the transport failed. */
    void failed(Throwable t) {
        done.completeExceptionally(t);
        signal();
    }

    /** The transport may take more: wakes a {@link #write} waiting for it. */
    void signal() {
        lock.lock();
        try {
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The transport under a writer. */
    interface WriteCall {
        /** Sends one chunk of {@code data}; the data port copies it, gRPC may keep it. */
        void send(byte[] data, int length, int crc32c);

        /** Whether the transport takes more now; when it does not, the writer is signalled later. */
        boolean isReady();

        /** The last chunk was sent: the node may commit. */
        void complete();

        /** Abandons the stream; the node discards what it received. */
        void cancel(String why);
    }

    private final class Observer implements ClientResponseObserver<WriteShardRequest, WriteShardResponse>, WriteCall {
        private ClientCallStreamObserver<WriteShardRequest> stream;

        @Override
        public void beforeStart(ClientCallStreamObserver<WriteShardRequest> requestStream) {
            stream = requestStream;
            call = this;
            requestStream.setOnReadyHandler(RemoteShardWriter.this::signal);
        }

        @Override
        public void send(byte[] data, int length, int crc32c) {
            stream.onNext(WriteShardRequest.newBuilder()
                    .setChunk(Chunk.newBuilder()
                            .setData(UnsafeByteOperations.unsafeWrap(data, 0, length))
                            .setCrc32C(crc32c))
                    .build());
        }

        @Override
        public boolean isReady() {
            return stream.isReady();
        }

        @Override
        public void complete() {
            stream.onCompleted();
        }

        @Override
        public void cancel(String why) {
            stream.cancel(why, null);
        }

        @Override
        public void onNext(WriteShardResponse value) {
            acknowledged(value.getInfo());
        }

        @Override
        public void onError(Throwable t) {
            failed(t);
        }

        @Override
        public void onCompleted() {
            failed(new IOException("no acknowledgement"));
        }
    }
}
