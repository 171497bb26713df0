package io.basalt.storage;

import com.google.protobuf.UnsafeByteOperations;
import io.basalt.proto.shard.ReadShardResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Streams the chunks covering [start, end) of one shard, only while the transport is ready:
 * a slow reader leaves the rest on disk instead of in this node's memory. The node's end of
 * ReadShard; the caller's end is core's {@code RemoteShardReader}.
 */
final class ChunkSender implements Runnable {
    private static final Logger log = LogManager.getLogger(ChunkSender.class);

    private final String shardId;
    private final ShardReader reader;
    private final ShardStore store;
    private final NodeMetrics metrics;
    private final ServerCallStreamObserver<ReadShardResponse> response;
    private final long end;
    private final long lastChunk;
    private long position;
    private long chunk;
    private boolean done;
    private byte[] buffer; // the chunk being sent, with its CRC in front; reused

    private ChunkSender(
            String shardId,
            ShardReader reader,
            ShardStore store,
            NodeMetrics metrics,
            ServerCallStreamObserver<ReadShardResponse> response,
            long start,
            long end) {
        this.shardId = shardId;
        this.reader = reader;
        this.store = store;
        this.metrics = metrics;
        this.response = response;
        this.end = end;
        this.position = start;
        int chunkSize = reader.header().chunkSize();
        this.chunk = start / chunkSize;
        this.lastChunk = end == start ? chunk - 1 : (end - 1) / chunkSize;
    }

    /** Starts streaming; the reader is closed when the stream ends, fails or is cancelled. */
    static void start(
            String shardId,
            ShardReader reader,
            ShardStore store,
            NodeMetrics metrics,
            ServerCallStreamObserver<ReadShardResponse> response,
            long start,
            long end) {
        ChunkSender stream = new ChunkSender(shardId, reader, store, metrics, response, start, end);
        response.setOnCancelHandler(stream::cancel);
        response.setOnReadyHandler(stream);
        stream.run(); // the call may already be ready, in which case no onReady will come
    }

    /** Sends chunks until the transport pushes back; onReady calls this again. */
    @Override
    public synchronized void run() {
        try {
            while (!done && response.isReady()) {
                if (chunk > lastChunk) {
                    finish();
                    response.onCompleted();
                    metrics.reads.labels("OK").inc();
                    return;
                }
                sendChunk();
            }
        } catch (IOException | RuntimeException e) {
            finish();
            if (e instanceof IOException io && !(e instanceof CorruptShardException) && reader.dir() != null) {
                store.ioFailed(reader.dir(), io);
            }
            if (e instanceof CorruptShardException)
                metrics.corrupt.labels("read").inc();
            StatusRuntimeException status = GrpcErrors.toStatus("ReadShard", shardId, e);
            metrics.reads.labels(NodeMetrics.code(status)).inc();
            response.onError(status);
        }
    }

    private void sendChunk() throws IOException {
        int chunkSize = reader.header().chunkSize();
        long chunkStart = chunk * chunkSize;
        int size = reader.chunkBufferSize(chunk);
        if (buffer == null || buffer.length < size) buffer = new byte[size];
        int length = reader.readChunk(chunk, buffer); // verified: a bad chunk throws before any byte is sent
        int from = (int) (position - chunkStart);
        int to = (int) (Math.min(end, chunkStart + length) - chunkStart);
        // onNext serializes the message into the transport's buffers before it returns, so the
        // buffer may be wrapped without a copy and reused for the next chunk
        response.onNext(ReadShardResponse.newBuilder()
                .setOffset(position)
                .setData(UnsafeByteOperations.unsafeWrap(buffer, ShardHeader.CHUNK_CRC_SIZE + from, to - from))
                .build());
        position = chunkStart + to;
        chunk++;
        metrics.readBytes.add(to - from);
    }

    private synchronized void cancel() {
        log.debug("read of shard {} cancelled by client", shardId);
        finish();
    }

    private void finish() {
        if (done) {
            return;
        }
        done = true;
        try {
            reader.close();
        } catch (IOException e) {
            log.warn("cannot close shard {}: {}", shardId, e.toString());
        }
    }
}
