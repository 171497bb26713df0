package io.basalt.core.data;

import io.basalt.core.cluster.Membership;
import io.basalt.core.erasure.SegmentDecoder;
import io.basalt.core.erasure.SegmentEncoder;
import io.basalt.core.placement.Placement;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Object bytes in and out of the storage nodes: places and writes new shard sets, reads
 * ranges of objects that span one or more segments. Knows nothing of HTTP or S3.
 */
public final class DataPath {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Membership membership;
    private final ErasureLayout layout;
    private final SegmentEncoder encoder;
    private final SegmentDecoder decoder;

    public DataPath(Membership membership, ShardClients clients, ErasureLayout layout, long ioTimeoutMs) {
        this.membership = membership;
        this.layout = layout;
        this.encoder = new SegmentEncoder(clients, ioTimeoutMs);
        this.decoder = new SegmentDecoder(clients, membership::live, ioTimeoutMs);
    }

    public ErasureLayout layout() {
        return layout;
    }

    /** A fresh random id naming a shard set (and the object version it holds). */
    public static String newShardSetId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Encodes {@code body} to its end onto k+m live nodes; returns once all shards are durable. */
    public Segment write(InputStream body) throws IOException {
        String shardSet = newShardSetId();
        List<NodeRecord> targets = Placement.choose(shardSet, membership.live().values(), layout.getK() + layout.getM());
        return encoder.write(shardSet, body, layout, targets, null);
    }

    /** Writes bytes [offset, offset+length) of an object to {@code out}. */
    public void read(ObjectRecord object, long offset, long length, OutputStream out) throws IOException {
        long segStart = 0;
        long end = offset + length;
        for (Segment seg : object.getSegmentsList()) {
            long segEnd = segStart + seg.getSize();
            if (segEnd > offset && segStart < end) {
                long from = Math.max(offset, segStart) - segStart;
                long to = Math.min(end, segEnd) - segStart;
                decoder.read(seg, from, to - from, out);
            }
            if (segEnd >= end) break;
            segStart = segEnd;
        }
    }

    /** Best-effort removal of shard sets that never became visible; GC catches what this misses. */
    public void discard(Segment seg) {
        Map<String, NodeRecord> live = membership.live();
        List<NodeRecord> nodes = new ArrayList<>();
        for (String id : seg.getNodeIdsList()) nodes.add(live.get(id)); // null: not live, left to GC
        encoder.deleteQuietly(seg.getShardSet(), nodes);
    }
}
