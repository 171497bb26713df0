package io.basalt.storage;

import io.basalt.proto.shard.ReadShardRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Streams the chunks covering [start, end) of one shard, only while the transport is ready:
 * a slow reader leaves the rest on disk instead of in this node's memory. The node's end of
 * ReadShard, over gRPC or the data port ({@link ChunkOutlet}); the caller's end is core's
 * {@code RemoteShardReader}.
 */
final class ChunkSender implements Runnable {
    private static final Logger log = LogManager.getLogger(ChunkSender.class);

    private final String shardId;
    private final ShardReader reader;
    private final ShardStore store;
    private final NodeMetrics metrics;
    private final ChunkOutlet response;
    private final long end;
    private final long lastChunk; // the last chunk the range touches: reads ahead stop there
    private ShardReader.LentChunks lent; // the window the next chunks are sent from, if any
    private long position;
    private boolean done;
    // The last two chunks read (their data): a message that starts inside one chunk
    // ends inside the next, and the next message starts in that second chunk, so every chunk is
    // read and verified once. Reused for the whole stream.
    private final byte[][] buffers = new byte[2][];
    private final long[] buffered = {-1, -1}; // chunk index each buffer holds

    private ChunkSender(
            String shardId,
            ShardReader reader,
            ShardStore store,
            NodeMetrics metrics,
            ChunkOutlet response,
            long start,
            long end) {
        this.shardId = shardId;
        this.reader = reader;
        this.store = store;
        this.metrics = metrics;
        this.response = response;
        this.end = end;
        int chunkSize = reader.header().chunkSize();
        this.lastChunk = end == 0 ? 0 : (end - 1) / chunkSize;
        this.position = start;
    }

    /**
     * Opens the shard {@code request} names and streams its range to {@code out}, or fails {@code out} with the
     * status that says why not (no such shard, a range beyond its end, a bad id, a failed disk).
     */
    static void serve(ShardStore store, NodeMetrics metrics, ReadShardRequest request, ChunkOutlet out) {
        String shardId = request.getShardId();
        ShardReader reader = null;
        try {
            ShardId.validate(shardId);
            reader = store.openReader(shardId);
            long length = reader.header().length();
            long offset = request.getOffset();
            if (Long.compareUnsigned(offset, length) > 0) {
                throw Status.OUT_OF_RANGE
                        .withDescription("offset " + Long.toUnsignedString(offset) + " is beyond the end of shard "
                                + shardId + " (" + length + " bytes)")
                        .asRuntimeException();
            }
            long wanted = request.getLength();
            // 0 reads to the end; a range running past the end is clipped like an HTTP range
            long end = wanted == 0 || Long.compareUnsigned(wanted, length - offset) > 0 ? length : offset + wanted;
            ChunkSender stream = new ChunkSender(shardId, reader, store, metrics, out, offset, end);
            out.onCancel(stream::cancel);
            out.onReady(stream);
            stream.run(); // the call may already be ready, in which case no onReady will come
        } catch (IOException | RuntimeException e) {
            if (reader != null) {
                try {
                    reader.close();
                } catch (IOException ignored) {
                    // the call already failed; nothing more to report
                }
            }
            if (e instanceof CorruptShardException)
                metrics.corrupt.labels("read").inc();
            StatusRuntimeException status = GrpcErrors.toStatus("ReadShard", shardId, e);
            metrics.reads.labels(NodeMetrics.code(status)).inc();
            out.fail(status);
        }
    }

    /**
     * Sends chunks until the transport pushes back; onReady calls this again. The range's end is checked before
     * readiness: the data port asks for no onReady after a stream's last frame, so a stream whose last frame filled
     * its connection must end here, or it would hold its file and read window for good.
     */
    @Override
    public synchronized void run() {
        try {
            while (!done) {
                if (position >= end) {
                    finish();
                    response.flush();
                    response.complete();
                    metrics.reads.labels("OK").inc();
                    return;
                }
                if (!response.isReady()) break;
                sendChunk();
            }
            response.flush();
        } catch (IOException | RuntimeException e) {
            finish();
            if (e instanceof IOException io && !(e instanceof CorruptShardException) && reader.dir() != null) {
                store.ioFailed(reader.dir(), io);
            }
            if (e instanceof CorruptShardException)
                metrics.corrupt.labels("read").inc();
            StatusRuntimeException status = GrpcErrors.toStatus("ReadShard", shardId, e);
            metrics.reads.labels(NodeMetrics.code(status)).inc();
            response.fail(status);
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
        long stop = Math.min(end, position + chunkSize);
        boolean last = stop >= end;
        // Where the outlet takes lent buffers, the message leaves from the window its chunks were read into and
        // verified in (chunks lie back to back there, so the tail of one and the head of the next are one slice):
        // no copy on the node. Else it is read straight into its message (a whole chunk) or copied in.
        ByteBuf data = lentSlice(position, stop);
        if (data != null) {
            response.lend(position, data, last);
        } else if (position % chunkSize == 0
                && stop - position == reader.header().chunkLength(chunk)) {
            response.send(position, (int) (stop - position), last, dst -> reader.readChunk(chunk, dst, lastChunk));
        } else {
            sendCopied(chunk, stop, last);
        }
        metrics.readBytes.add(stop - position);
        position = stop;
    }

    /** Copies [position, stop) out of the chunk buffers into the message: the outlet lends nothing, or no window was free. */
    private void sendCopied(long chunk, long stop, boolean last) throws IOException {
        int chunkSize = reader.header().chunkSize();
        int from = (int) (position - chunk * chunkSize);
        int length = chunkData(chunk, -1); // verified: a bad chunk throws before any byte of it is sent
        int to = (int) Math.min(stop - chunk * chunkSize, length);
        ByteBuffer first = ByteBuffer.wrap(buffer(chunk), from, to - from);
        ByteBuffer second = null;
        long next = chunk * chunkSize + to;
        if (next < stop) { // the message runs into the next chunk
            int more = (int) Math.min(stop - next, chunkData(chunk + 1, chunk));
            second = ByteBuffer.wrap(buffer(chunk + 1), 0, more);
        }
        // copied into the message before send returns, so the buffers are reused for the next chunks
        ByteBuffer tail = second;
        response.send(position, (int) (stop - position), last, dst -> {
            dst.put(first);
            if (tail != null) dst.put(tail);
        });
    }

    /**
     * Shard bytes [from, to) as a buffer of its own reference to a window lent by the reader, which reads the chunks
     * after them in the same read. A message that runs past the window's last chunk takes a new window from its own
     * first chunk on (that one chunk is read twice, not copied). Null where the outlet copies anyway or the reader
     * cannot lend (see {@link ShardReader#lendChunks}).
     */
    private ByteBuf lentSlice(long from, long to) throws IOException {
        if (!response.takesLent()) return null;
        int chunkSize = reader.header().chunkSize();
        long first = from / chunkSize, through = (to - 1) / chunkSize;
        if (lent == null || !lent.holds(first) || !lent.holds(through)) {
            dropLent();
            response.flush(); // the chunks sent so far leave while the disk reads the next
            lent = reader.lendChunks(first, through, lastChunk);
            if (lent == null) return null;
        }
        return lent.slice(from, (int) (to - from));
    }

    private void dropLent() {
        if (lent != null) {
            lent.release();
            lent = null;
        }
    }

    /**
     * Reads and verifies chunk {@code index} into a buffer unless one already holds it, without
     * overwriting chunk {@code keep} (-1: none); its length. An aligned read only ever uses one buffer.
     */
    private int chunkData(long index, long keep) throws IOException {
        if (buffered[0] != index && buffered[1] != index) {
            int slot = keep >= 0 && buffered[0] == keep ? 1 : 0;
            int size = reader.header().chunkLength(index);
            if (buffers[slot] == null || buffers[slot].length < size) buffers[slot] = new byte[size];
            buffered[slot] = -1; // a failed read leaves no stale index behind
            reader.readChunk(index, ByteBuffer.wrap(buffers[slot], 0, size), lastChunk);
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
        dropLent();
        try {
            reader.close();
        } catch (IOException e) {
            log.warn("cannot close shard {}: {}", shardId, e.toString());
        }
    }
}
