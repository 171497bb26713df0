package io.basalt.core.erasure;

import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Reads a byte range of a segment: the stripes that cover it, through a {@link StripeReader}
 * that decodes only when a data shard is missing, unreachable or corrupt.
 */
public final class SegmentDecoder {

    private final ShardClients clients;
    private final Supplier<Map<String, NodeRecord>> liveNodes;
    private final long idleTimeoutMs;

    public SegmentDecoder(ShardClients clients, Supplier<Map<String, NodeRecord>> liveNodes, long idleTimeoutMs) {
        this.clients = clients;
        this.liveNodes = liveNodes;
        this.idleTimeoutMs = idleTimeoutMs;
    }

    /** Writes bytes [offset, offset+length) of the segment to {@code out}. */
    public void read(Segment seg, long offset, long length, OutputStream out, ShardProblems problems) throws IOException {
        if (length <= 0) return;
        StripeLayout layout = StripeLayout.of(seg.getLayout(), seg.getSize());
        long to = offset + length;
        if (offset < 0 || to > layout.size()) throw new IllegalArgumentException("range outside segment");
        long first = layout.stripeOfOffset(offset), last = layout.stripeOfOffset(to - 1);
        byte[][] chunks = new byte[layout.totalShards()][layout.chunkSize()];
        try (StripeReader reader = new StripeReader(clients, liveNodes.get(), seg, first, last, idleTimeoutMs, problems)) {
            for (long s = first; s <= last; s++) {
                int chunkLen = reader.read(s, chunks, false);
                long stripeStart = layout.stripeStart(s);
                int a = (int) (Math.max(offset, stripeStart) - stripeStart);
                int b = (int) (Math.min(to, stripeStart + layout.stripeLength(s)) - stripeStart);
                while (a < b) {
                    int shard = a / chunkLen, pos = a % chunkLen;
                    int len = Math.min(b - a, chunkLen - pos);
                    out.write(chunks[shard], pos, len);
                    a += len;
                }
            }
        }
    }
}
