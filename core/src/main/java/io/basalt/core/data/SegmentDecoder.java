package io.basalt.core.data;

import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.shard.BufferSink;
import io.basalt.core.shard.ShardBytes;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Reads a byte range of a segment: from the data shards through a {@link DataRangeReader}, which
 * asks each only for its part of the range, and from the first stripe a data shard fails to
 * serve on through a {@link StripeReader}, which reads whole stripes and decodes.
 */
final class SegmentDecoder {

    private final ShardClients clients;
    private final Supplier<Map<String, NodeRecord>> liveNodes;
    private final long idleTimeoutMs;
    private final StripeHedge hedge = new StripeHedge();

    SegmentDecoder(ShardClients clients, Supplier<Map<String, NodeRecord>> liveNodes, long idleTimeoutMs) {
        this.clients = clients;
        this.liveNodes = liveNodes;
        this.idleTimeoutMs = idleTimeoutMs;
    }

    /**
     * Writes bytes [offset, offset+length) of the segment to {@code out}, one gathering write per
     * stripe straight from the messages the shards arrived in: from the data shards while they
     * answer, then from any k shards, decoding.
     */
    void read(Segment seg, long offset, long length, BufferSink out, ShardProblems problems) throws IOException {
        if (length <= 0) return;
        StripeLayout layout = StripeLayout.of(seg.getLayout(), seg.getSize());
        long to = offset + length;
        if (offset < 0 || to > layout.size()) throw new IllegalArgumentException("range outside segment");
        long s = layout.stripeOfOffset(offset), last = layout.stripeOfOffset(to - 1);
        Map<String, NodeRecord> live = liveNodes.get();
        int excluded = -1, slow = -1;
        try (DataRangeReader direct =
                DataRangeReader.open(clients, live, seg, layout, offset, to, idleTimeoutMs, problems, hedge)) {
            if (direct != null) {
                while (s <= last && direct.write(s, out)) s++;
                if (s > last) return;
                if (direct.failedShardWasSlow()) slow = direct.failedShard();
                else excluded = direct.failedShard();
            }
        }
        long from = Math.max(offset, layout.stripeStart(s));
        List<ByteBuffer> views = new ArrayList<>();
        int[] never = excluded < 0 ? new int[0] : new int[] {excluded};
        try (StripeReader reader = new StripeReader(clients, live, seg, last, idleTimeoutMs, problems, hedge, never)) {
            if (slow >= 0) reader.avoiding(slow); // merely slow: the last choice, not excluded
            for (; s <= last; s++) {
                ShardBytes[] data = reader.readData(s);
                int chunkLen = layout.chunkLength(s);
                long stripeStart = layout.stripeStart(s);
                int a = (int) (Math.max(from, stripeStart) - stripeStart);
                int b = (int) (Math.min(to, stripeStart + layout.stripeLength(s)) - stripeStart);
                views.clear();
                while (a < b) {
                    int shard = a / chunkLen, pos = a % chunkLen;
                    int len = Math.min(b - a, chunkLen - pos);
                    data[shard].slice(pos, len, views);
                    a += len;
                }
                out.write(views.toArray(ByteBuffer[]::new));
            }
        }
    }
}
