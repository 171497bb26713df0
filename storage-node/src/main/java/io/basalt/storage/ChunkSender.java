package io.basalt.storage;

import com.google.protobuf.ByteString;
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
    private final long lastChunk; // the last chunk the range touches: reads ahead stop there
    private long position;
    private boolean done;
    // The last two chunks read, each with its CRC in front: a message that starts inside one chunk
    // ends inside the next, and the next message starts in that second chunk, so every chunk is
    // read and verified once. Reused for the whole stream.
    private final byte[][] buffers = new byte[2][];
    private final long[] buffered = {-1, -1}; // chunk index each buffer holds

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
        this.lastChunk = end == 0 ? 0 : (end - 1) / reader.header().chunkSize();
        this.position = start;
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
                if (position >= end) {
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

    /**
     * Sends the next chunk size's worth of the range (less at its end) in one message. An aligned
     * range sends whole chunks as stored; an unaligned one (a ranged GET) sends the tail of one chunk
     * and the head of the next together, so it costs as many messages as an aligned range of its
     * length instead of one more per chunk it touches: on the ranged GET path a message costs more
     * (serialization, a transport hop here, a queue hop and a flow-control grant in the gateway) than
     * copying its bytes. A message still holds at most one chunk's worth, which the reader's window
     * counts on.
     */
    private void sendChunk() throws IOException {
        int chunkSize = reader.header().chunkSize();
        long chunk = position / chunkSize;
        int from = (int) (position - chunk * chunkSize);
        int length = chunkData(chunk, -1); // verified: a bad chunk throws before any byte of it is sent
        long stop = Math.min(end, position + chunkSize);
        int to = (int) Math.min(stop - chunk * chunkSize, length);
        ByteString data = UnsafeByteOperations.unsafeWrap(buffer(chunk), ShardHeader.CHUNK_CRC_SIZE + from, to - from);
        long next = chunk * chunkSize + to;
        if (next < stop) { // the message runs into the next chunk
            int more = (int) Math.min(stop - next, chunkData(chunk + 1, chunk));
            data = data.concat(UnsafeByteOperations.unsafeWrap(buffer(chunk + 1), ShardHeader.CHUNK_CRC_SIZE, more));
            next += more;
        }
        // onNext serializes the message into the transport's buffers before it returns, so the
        // buffers may be wrapped without a copy and reused for the next chunks
        response.onNext(
                ReadShardResponse.newBuilder().setOffset(position).setData(data).build());
        metrics.readBytes.add(next - position);
        position = next;
    }

    /**
     * Reads and verifies chunk {@code index} into a buffer unless one already holds it, without
     * overwriting chunk {@code keep} (-1: none); its length. An aligned read only ever uses one buffer.
     */
    private int chunkData(long index, long keep) throws IOException {
        if (buffered[0] != index && buffered[1] != index) {
            int slot = keep >= 0 && buffered[0] == keep ? 1 : 0;
            int size = reader.chunkBufferSize(index);
            if (buffers[slot] == null || buffers[slot].length < size) buffers[slot] = new byte[size];
            buffered[slot] = -1; // a failed read leaves no stale index behind
            reader.readChunk(index, buffers[slot], lastChunk);
            buffered[slot] = index;
        }
        return reader.header().chunkLength(index);
    }

    private byte[] buffer(long index) {
        return buffers[buffered[0] == index ? 0 : 1];
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
