package io.basalt.storage;

import io.basalt.proto.shard.WriteShardHeader;
import io.basalt.proto.shard.WriteShardResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.zip.CRC32C;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One WriteShard stream: header, then chunks appended to a temp file as they arrive. gRPC
 * requests the next message only after onNext returns, so a fast client cannot outrun the disk.
 * The stream's callbacks come one at a time (serialized by gRPC, on its executor); the commit, which waits
 * for fsyncs, runs on the commit executor, and from then on that task alone owns the writer.
 *
 * <p>A shard that turns out to be one chunk of at most {@link ShardStore#PACKED_MAX_BYTES} is packed
 * instead: its first chunk is held in memory (checked, copied out of the transport's buffers) until
 * the stream ends, and then goes to the dir's packs whole; a second chunk moves the shard to a file.
 */
final class ShardWriteSession implements StreamObserver<WriteShardMessage> {
    private static final Logger log = LogManager.getLogger(ShardWriteSession.class);
    /** Chunks are held in memory one at a time, on both ends; bound them. */
    static final int MAX_CHUNK_SIZE = 8 << 20;

    private final ShardStore store;
    private final StreamObserver<WriteShardResponse> response;
    private final NodeMetrics metrics;
    private String shardId = "?";
    private int chunkSize; // 0 until the header came
    private ShardFileWriter writer; // null while the shard may still be packed
    private byte[] firstChunk; // held for packing: the only chunk so far
    private int firstChunkCrc;
    private final Executor commits;
    private boolean failed;
    private boolean committing; // handed to the commit task: the stream's callbacks leave the writer alone

    ShardWriteSession(
            ShardStore store, StreamObserver<WriteShardResponse> response, NodeMetrics metrics, Executor commits) {
        this.store = store;
        this.response = response;
        this.metrics = metrics;
        this.commits = commits;
    }

    @Override
    public void onNext(WriteShardMessage request) {
        try (request) { // gives the transport's buffers back on every path
            if (failed) {
                return; // already answered; drain what the client still sends
            }
            if (request.header() != null) {
                start(request.header());
            } else if (request.isChunk()) {
                append(request);
            } else {
                throw new IllegalArgumentException("empty WriteShardRequest");
            }
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    private void start(WriteShardHeader header) throws IOException {
        if (chunkSize != 0) {
            throw new IllegalArgumentException("second header in WriteShard stream for " + shardId);
        }
        shardId = ShardId.validate(header.getShardId());
        int size = header.getChunkSize();
        if (size <= 0 || size > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException(
                    "chunk_size must be in 1.." + MAX_CHUNK_SIZE + ", got " + Integer.toUnsignedString(size));
        }
        chunkSize = size;
        // Without packing every shard is a file, written as its chunks come.
        if (!store.packsSmallShards()) writer = store.newWriter(shardId, chunkSize);
    }

    private void append(WriteShardMessage chunk) throws IOException {
        if (chunkSize == 0) {
            throw new IllegalArgumentException("WriteShard stream must start with a header");
        }
        if (writer == null
                && firstChunk == null
                && store.packsSmallShards()
                && chunk.size() <= ShardStore.PACKED_MAX_BYTES) {
            holdFirstChunk(chunk);
            return;
        }
        if (writer == null) toFile();
        try {
            writer.append(chunk.data(), chunk.crc32c());
        } catch (CorruptShardException e) {
            throw e; // the client's bytes, not our disk
        } catch (IOException e) {
            store.ioFailed(writer.dataDir(), e);
            throw e;
        }
    }

    /** Checks and copies the first chunk, as the file writer would check it, for packing at the end. */
    private void holdFirstChunk(WriteShardMessage chunk) throws CorruptShardException {
        long size = chunk.size();
        if (size > chunkSize) {
            throw new IllegalArgumentException(
                    "chunk 0 of shard " + shardId + " has " + size + " bytes, more than chunk_size " + chunkSize);
        }
        byte[] copy = new byte[(int) size];
        ByteBuffer into = ByteBuffer.wrap(copy);
        for (ByteBuffer b : chunk.data()) into.put(b.duplicate());
        CRC32C crc = new CRC32C();
        crc.update(copy);
        if ((int) crc.getValue() != chunk.crc32c()) throw new CorruptShardException("checksum mismatch in chunk 0");
        firstChunk = copy;
        firstChunkCrc = chunk.crc32c();
    }

    /** More than one chunk: a file of its own, starting with the chunk held so far. */
    private void toFile() throws IOException {
        writer = store.newWriter(shardId, chunkSize);
        if (firstChunk != null) {
            try {
                writer.append(new ByteBuffer[] {ByteBuffer.wrap(firstChunk)}, firstChunkCrc);
            } catch (IOException e) {
                store.ioFailed(writer.dataDir(), e);
                throw e;
            }
            firstChunk = null;
        }
    }

    @Override
    public void onError(Throwable t) {
        // The client cancelled or the connection broke: nothing of this write may remain (a commit
        // already under way completes; the shard is then an orphan, as if the answer had been lost).
        log.debug("write of shard {} aborted by client: {}", shardId, Status.fromThrowable(t));
        if (!committing) discard();
    }

    @Override
    public void onCompleted() {
        if (failed) {
            return;
        }
        if (chunkSize == 0) {
            fail(new IllegalArgumentException("WriteShard stream ended without a header"));
            return;
        }
        committing = true;
        if (writer == null && store.packsSmallShards()) {
            commitPacked();
            return;
        }
        try {
            commits.execute(this::commit);
        } catch (RejectedExecutionException e) { // the node is stopping
            fail(new IOException("storage node is shutting down", e));
        }
    }

    private void commitPacked() {
        byte[] data = firstChunk == null ? new byte[0] : firstChunk;
        int crc = firstChunk == null ? 0 : firstChunkCrc; // CRC32C of nothing is 0
        firstChunk = null;
        long start = System.nanoTime();
        store.commitPacked(shardId, chunkSize, ByteBuffer.wrap(data), crc)
                .whenCompleteAsync(
                        (done, error) -> {
                            if (error != null) {
                                Throwable cause = error instanceof CompletionException c ? c.getCause() : error;
                                fail(cause instanceof Exception e ? e : new IOException(cause));
                                return;
                            }
                            // the fsync metric counts the wait for the group's fdatasync
                            respond(done.header(), done.dir(), System.nanoTime() - start);
                        },
                        commits);
    }

    private void commit() {
        try {
            ShardHeader header;
            try {
                header = writer.commit();
            } catch (IOException e) {
                store.ioFailed(writer.dataDir(), e);
                throw e;
            }
            store.committedFile(shardId, writer.dataDir());
            respond(header, writer.dataDir(), writer.fsyncNanos());
        } catch (IOException | RuntimeException e) {
            fail(e);
        } finally {
            discard();
        }
    }

    private void respond(ShardHeader header, DataDir dir, long fsyncNanos) {
        if (fsyncNanos > 0) metrics.fsync.observe(fsyncNanos / 1e9);
        response.onNext(WriteShardResponse.newBuilder()
                .setInfo(ShardInfos.of(shardId, header, System.currentTimeMillis(), dir.root()))
                .build());
        response.onCompleted();
        metrics.writes.labels("OK").inc();
        metrics.writeBytes.add(header.length());
    }

    private void fail(Exception e) {
        failed = true;
        discard();
        if (writer != null
                && writer.dataDir().failed()
                && e instanceof IOException
                && !(e instanceof DataDirFailedException)) {
            e = new DataDirFailedException("data dir " + writer.dataDir().root() + " failed during the write: " + e, e);
        }
        StatusRuntimeException status = GrpcErrors.toStatus("WriteShard", shardId, e);
        metrics.writes.labels(NodeMetrics.code(status)).inc();
        try {
            response.onError(status);
        } catch (RuntimeException closed) {
            log.debug("write of shard {}: cannot answer {}: {}", shardId, status, closed.toString());
        }
    }

    private void discard() {
        firstChunk = null;
        if (writer != null) {
            writer.close();
        }
    }
}
