package io.basalt.core.data;

import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.shard.BufferSink;
import io.basalt.core.shard.RemoteShardReader;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardReadException;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Reads a byte range of a segment from its data shards alone, asking each for exactly the bytes
 * of the range it holds: a ranged read moves what it returns, where whole stripes would move up
 * to two stripes more (2 MiB for an unaligned 1 MiB range with 1 MiB stripes), and a shard the
 * range does not touch is not asked at all. It gives up at the first stripe it cannot serve
 * whole; the caller goes on from there with a {@link StripeReader}, which decodes.
 */
final class DataRangeReader implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(DataRangeReader.class);

    private final Segment seg;
    private final StripeLayout layout;
    private final long offset, to;
    private final ShardProblems problems;
    private final StripeHedge hedge;
    private final RemoteShardReader[] streams;
    private final long[] position; // shard offset each stream is at
    private final List<ByteBuffer> views = new ArrayList<>();
    private int failed = -1;
    private boolean failedSlow; // the failed shard was only too slow (hedged), not in error

    private DataRangeReader(
            Segment seg, StripeLayout layout, long offset, long to, ShardProblems problems, StripeHedge hedge) {
        this.seg = seg;
        this.hedge = hedge;
        this.layout = layout;
        this.offset = offset;
        this.to = to;
        this.problems = problems;
        this.streams = new RemoteShardReader[layout.k()];
        this.position = new long[layout.k()];
    }

    /**
     * Starts reading [offset, to) of the segment; null when a data shard it needs is known
     * missing or on a node that is down or suspect (the caller decodes from the start).
     */
    static DataRangeReader open(
            ShardClients clients,
            Map<String, NodeRecord> live,
            Segment seg,
            StripeLayout layout,
            long offset,
            long to,
            long idleTimeoutMs,
            ShardProblems problems,
            StripeHedge hedge) {
        int k = layout.k();
        long first = layout.stripeOfOffset(offset), last = layout.stripeOfOffset(to - 1);
        long[] lo = new long[k], hi = new long[k];
        for (int i = 0; i < k; i++) {
            lo[i] = -1;
            for (long s = first; s <= last; s++) {
                long[] r = shardRange(layout, s, i, offset, to);
                if (r == null) continue;
                if (lo[i] < 0) lo[i] = r[0];
                hi[i] = r[1];
            }
        }
        for (int i = 0; i < k; i++) {
            if (lo[i] < 0) continue;
            String nodeId = seg.getNodeIds(i);
            if (seg.getMissingShardsList().contains(i) || !live.containsKey(nodeId) || problems.suspect(nodeId))
                return null;
        }
        DataRangeReader r = new DataRangeReader(seg, layout, offset, to, problems, hedge);
        int streams = 0;
        for (int i = 0; i < k; i++) if (lo[i] >= 0) streams++;
        hedge.opened(streams);
        for (int i = 0; i < k; i++) {
            if (lo[i] < 0) continue;
            String nodeId = seg.getNodeIds(i);
            r.streams[i] = RemoteShardReader.open(
                    clients,
                    live.get(nodeId),
                    SegmentEncoder.shardId(seg.getShardSet(), i),
                    lo[i],
                    hi[i] - lo[i],
                    idleTimeoutMs,
                    ReadWindow.messages(layout.chunkSize(), streams, hi[i] - lo[i]));
            r.position[i] = lo[i];
        }
        return r;
    }

    /**
     * The bytes of [offset, to) in stripe {@code s} that data shard {@code i} holds, as offsets
     * within that shard; null when it holds none. A shard's ranges over successive stripes follow
     * each other but for the padding of the last data chunk of a stripe when k does not divide the
     * block size (under k bytes), so one stream per shard serves them all, skipping that padding.
     */
    static long[] shardRange(StripeLayout layout, long s, int i, long offset, long to) {
        int chunkLen = layout.chunkLength(s);
        long stripeStart = layout.stripeStart(s);
        long a = Math.max(offset, stripeStart + (long) i * chunkLen);
        long b = Math.min(Math.min(to, stripeStart + layout.stripeLength(s)), stripeStart + (long) (i + 1) * chunkLen);
        if (a >= b) return null;
        long base = layout.shardOffset(s) - stripeStart - (long) i * chunkLen;
        return new long[] {base + a, base + b};
    }

    /**
     * Writes the part of the range in stripe {@code s}; false, with nothing written, when a shard
     * failed or was too slow (reported, and named by {@link #failedShard()}).
     */
    boolean write(long s, BufferSink out) throws IOException {
        views.clear();
        for (int i = 0; i < streams.length; i++) {
            long[] r = shardRange(layout, s, i, offset, to);
            if (r == null) continue;
            int len = (int) (r[1] - r[0]);
            try {
                if (!awaitOrHedge(i)) return false;
                if (r[0] > position[i]) streams[i].take((int) (r[0] - position[i])); // padding
                streams[i].take(len).slice(0, len, views);
                position[i] = r[1];
            } catch (IOException e) {
                fail(i, e);
                return false;
            }
        }
        out.write(views.toArray(ByteBuffer[]::new));
        return true;
    }

    /**
     * Waits for shard {@code i}'s next bytes for the hedge delay; if they do not come and the
     * budget allows, gives the shard up (its stream is cancelled) so the caller decodes the rest
     * of the range from the other data shards and parity: false. Otherwise true, and the caller
     * waits on as long as the idle timeout allows.
     */
    private boolean awaitOrHedge(int i) throws IOException {
        String nodeId = seg.getNodeIds(i);
        if (streams[i].awaitBytes(0)) { // at hand: the common case, and no wait to learn from
            problems.onTime(nodeId);
            return true;
        }
        long t0 = System.nanoTime(), delay = hedge.delay.nanos();
        if (streams[i].awaitBytes(delay)) {
            hedge.delay.record(System.nanoTime() - t0);
            problems.onTime(nodeId);
            return true;
        }
        // counted at the delay itself: when more than 1% of waits reach it, the delay grows
        // instead of hedging a loaded cluster's ordinary tail
        hedge.delay.record(delay);
        if (!hedge.tryHedge()) return true;
        failed = i;
        failedSlow = true;
        problems.hedged(nodeId, true);
        log.debug(
                "shard {} of {} on {} sent nothing for {} ms; decoding the rest of the range from parity",
                i,
                seg.getShardSet(),
                nodeId,
                delay / 1_000_000);
        return false;
    }

    /** The data shard that failed, or -1. */
    int failedShard() {
        return failed;
    }

    /** Whether {@link #failedShard()} was given up for being slow rather than for an error. */
    boolean failedShardWasSlow() {
        return failedSlow;
    }

    private void fail(int i, IOException e) {
        failed = i;
        boolean lost = e instanceof ShardReadException sre && sre.lost();
        if (lost) problems.corruptShard(seg, i);
        else problems.nodeFailed(seg.getNodeIds(i));
        log.warn(
                "shard {} of {} on {}{}: {}; decoding the rest of the range",
                i,
                seg.getShardSet(),
                seg.getNodeIds(i),
                lost ? " is corrupt or missing" : " failed",
                e.getMessage());
    }

    @Override
    public void close() {
        for (RemoteShardReader s : streams) if (s != null) s.close();
    }
}
