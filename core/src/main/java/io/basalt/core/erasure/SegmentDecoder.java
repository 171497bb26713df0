package io.basalt.core.erasure;

import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardReadException;
import io.basalt.core.shard.ShardReadStream;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Reads a byte range of a segment. The happy path streams the k data shards and decodes
 * nothing; a shard that is missing, unreachable or corrupt is replaced by the next unused
 * shard from the current stripe on, and the stripe is rebuilt from any k chunks.
 */
public final class SegmentDecoder {

    private static final Logger log = LogManager.getLogger(SegmentDecoder.class);

    private final ShardClients clients;
    private final Supplier<Map<String, NodeRecord>> liveNodes;
    private final long idleTimeoutMs;
    private final Consumer<String> nodeFailed;

    public SegmentDecoder(ShardClients clients, Supplier<Map<String, NodeRecord>> liveNodes, long idleTimeoutMs,
                          Consumer<String> nodeFailed) {
        this.clients = clients;
        this.liveNodes = liveNodes;
        this.idleTimeoutMs = idleTimeoutMs;
        this.nodeFailed = nodeFailed;
    }

    /** Writes bytes [offset, offset+length) of the segment to {@code out}. */
    public void read(Segment seg, long offset, long length, OutputStream out) throws IOException {
        if (length <= 0) return;
        StripeLayout layout = StripeLayout.of(seg.getLayout(), seg.getSize());
        if (offset < 0 || offset + length > layout.size()) throw new IllegalArgumentException("range outside segment");
        try (Reader r = new Reader(seg, layout, offset, offset + length)) {
            r.copyTo(out);
        }
    }

    private final class Reader implements AutoCloseable {
        private final Segment seg;
        private final StripeLayout layout;
        private final long from, to;
        private final int k, n;
        private final ShardReadStream[] streams;
        private final boolean[] failed;
        private final long rangeEndInShard;
        private final ReedSolomon rs;

        Reader(Segment seg, StripeLayout layout, long from, long to) {
            this.seg = seg;
            this.layout = layout;
            this.from = from;
            this.to = to;
            this.k = layout.k();
            this.n = layout.totalShards();
            this.streams = new ShardReadStream[n];
            this.failed = new boolean[n];
            long lastStripe = layout.stripeOfOffset(to - 1);
            this.rangeEndInShard = layout.shardOffset(lastStripe) + layout.chunkLength(lastStripe);
            this.rs = ReedSolomon.create(k, layout.m());
            for (int i : seg.getMissingShardsList()) failed[i] = true;
        }

        void copyTo(OutputStream out) throws IOException {
            long first = layout.stripeOfOffset(from), last = layout.stripeOfOffset(to - 1);
            byte[][] chunks = new byte[n][layout.chunkSize()];
            for (int i = 0; i < k; i++) if (!failed[i]) open(i, first);
            for (long s = first; s <= last; s++) {
                int chunkLen = layout.chunkLength(s);
                boolean[] present = gather(s, chunks, chunkLen);
                boolean degraded = false;
                for (int i = 0; i < k; i++) degraded |= !present[i];
                if (degraded) rs.decodeMissing(chunks, present, 0, chunkLen);
                long stripeStart = layout.stripeStart(s);
                int a = (int) (Math.max(from, stripeStart) - stripeStart);
                int b = (int) (Math.min(to, stripeStart + layout.stripeLength(s)) - stripeStart);
                while (a < b) {
                    int shard = a / chunkLen, pos = a % chunkLen;
                    int len = Math.min(b - a, chunkLen - pos);
                    out.write(chunks[shard], pos, len);
                    a += len;
                }
            }
        }

        /** Fills k chunks of stripe s from the open streams, opening replacements for failed ones. */
        private boolean[] gather(long s, byte[][] chunks, int chunkLen) throws IOException {
            boolean[] present = new boolean[n];
            int have = 0;
            while (have < k) {
                int i = nextOpenUnread(present);
                if (i < 0) i = openReplacement(s);
                if (i < 0) {
                    throw new IOException("segment " + seg.getShardSet() + " unreadable: only " + have
                            + " of the " + k + " shards needed are available");
                }
                try {
                    streams[i].readFully(chunks[i], chunkLen);
                    present[i] = true;
                    have++;
                } catch (IOException e) {
                    fail(i, e);
                }
            }
            return present;
        }

        private int nextOpenUnread(boolean[] present) {
            for (int i = 0; i < n; i++) if (streams[i] != null && !present[i]) return i;
            return -1;
        }

        /** Opens the lowest shard not yet tried, positioned at stripe s; -1 when none is left. */
        private int openReplacement(long s) {
            for (int i = 0; i < n; i++) {
                if (streams[i] == null && !failed[i]) {
                    open(i, s);
                    if (streams[i] != null) return i;
                }
            }
            return -1;
        }

        private void open(int i, long stripe) {
            String nodeId = seg.getNodeIds(i);
            NodeRecord node = liveNodes.get().get(nodeId);
            if (node == null) {
                failed[i] = true;
                log.debug("shard {} of {}: node {} not live", i, seg.getShardSet(), nodeId);
                return;
            }
            long start = layout.shardOffset(stripe);
            streams[i] = ShardReadStream.open(clients, nodeId, node.getAddress(), SegmentEncoder.shardId(seg.getShardSet(), i),
                    start, rangeEndInShard - start, idleTimeoutMs);
        }

        private void fail(int i, IOException e) {
            failed[i] = true;
            streams[i].close();
            streams[i] = null;
            boolean corrupt = e instanceof ShardReadException sre && sre.corrupt();
            if (!corrupt) nodeFailed.accept(seg.getNodeIds(i));
            log.warn("shard {} of {} on {}{}: {}", i, seg.getShardSet(), seg.getNodeIds(i),
                    corrupt ? " is corrupt" : " failed", e.getMessage());
        }

        @Override
        public void close() {
            for (ShardReadStream s : streams) if (s != null) s.close();
        }
    }
}
