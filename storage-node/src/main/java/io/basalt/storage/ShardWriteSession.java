package io.basalt.storage;

import io.basalt.proto.shard.WriteShardHeader;
import io.basalt.proto.shard.WriteShardResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One WriteShard stream: header, then chunks appended to a temp file as they arrive. gRPC
 * requests the next message only after onNext returns, so a fast client cannot outrun the disk.
 * The stream's callbacks come one at a time (serialized by gRPC, on its executor); the commit, which waits
 * for fsyncs, runs on the commit executor, and from then on that task alone owns the writer.
 */
final class ShardWriteSession implements StreamObserver<WriteShardMessage> {
    private static final Logger log = LogManager.getLogger(ShardWriteSession.class);
    /** Chunks are held in memory one at a time, on both ends; bound them. */
    static final int MAX_CHUNK_SIZE = 8 << 20;

    private final ShardStore store;
    private final StreamObserver<WriteShardResponse> response;
    private final NodeMetrics metrics;
    private String shardId = "?";
    private ShardFileWriter writer;
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
        if (writer != null) {
            throw new IllegalArgumentException("second header in WriteShard stream for " + shardId);
        }
        shardId = ShardId.validate(header.getShardId());
        int chunkSize = header.getChunkSize();
        if (chunkSize <= 0 || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException(
                    "chunk_size must be in 1.." + MAX_CHUNK_SIZE + ", got " + Integer.toUnsignedString(chunkSize));
        }
        writer = store.newWriter(shardId, chunkSize);
    }

    private void append(WriteShardMessage chunk) throws IOException {
        if (writer == null) {
            throw new IllegalArgumentException("WriteShard stream must start with a header");
        }
        try {
            writer.append(chunk.data(), chunk.crc32c());
        } catch (CorruptShardException e) {
            throw e; // the client's bytes, not our disk
        } catch (IOException e) {
            store.ioFailed(writer.dataDir(), e);
            throw e;
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
        if (writer == null) {
            fail(new IllegalArgumentException("WriteShard stream ended without a header"));
            return;
        }
        committing = true;
        try {
            commits.execute(this::commit);
        } catch (RejectedExecutionException e) { // the node is stopping
            fail(new IOException("storage node is shutting down", e));
        }
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
            store.committed(shardId, writer.dataDir());
            metrics.fsync.observe(writer.fsyncNanos() / 1e9);
            response.onNext(WriteShardResponse.newBuilder()
                    .setInfo(ShardInfos.of(
                            shardId,
                            header,
                            System.currentTimeMillis(),
                            writer.dataDir().root()))
                    .build());
            response.onCompleted();
            metrics.writes.labels("OK").inc();
            metrics.writeBytes.add(header.length());
        } catch (IOException | RuntimeException e) {
            fail(e);
        } finally {
            discard();
        }
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
        if (writer != null) {
            writer.close();
        }
    }
}
