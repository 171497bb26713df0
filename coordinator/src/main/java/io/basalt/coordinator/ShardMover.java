package io.basalt.coordinator;

import io.basalt.core.data.SegmentEncoder;
import io.basalt.core.data.SegmentHealer;
import io.basalt.core.data.ShardProblems;
import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.placement.Placement;
import io.basalt.core.shard.RemoteShardReader;
import io.basalt.core.shard.RemoteShardWriter;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Moves one shard of a segment to another node, the step drain and rebalance share: copies
 * the shard's bytes from the node holding it (or rebuilds them from k other shards when that
 * node cannot serve them), swaps the new location into the record with a transaction that
 * applies only while the segment's placement is still the one the move started from, and
 * queues the copy that lost (the old one, or the new one after a race) as garbage.
 */
final class ShardMover {

    private static final Logger log = LogManager.getLogger(ShardMover.class);
    private static final long IO_TIMEOUT_MS = 30_000;

    enum Outcome {
        MOVED,
        /** The segment was overwritten, deleted or re-placed meanwhile: nothing to do. */
        CHANGED
    }

    private final MetadataStore meta;
    private final ShardClients clients;
    private final SegmentHealer healer;
    private final ShardCopyGarbage garbage;
    private final HealRate rate;

    ShardMover(MetadataStore meta, ShardClients clients, ShardCopyGarbage garbage, HealRate rate) {
        this.meta = meta;
        this.clients = clients;
        this.healer = new SegmentHealer(clients, IO_TIMEOUT_MS);
        this.garbage = garbage;
        this.rate = rate;
    }

    /**
     * The node shard {@code shard} of {@code seg} should move to, chosen as {@link Placement} would
     * place it next to the segment's other shards: on a node holding none of them, in a zone
     * holding the fewest. Empty when no candidate is left.
     * @param zones zone of every node that may hold a shard (live or last seen)
     */
    static Optional<NodeRecord> target(
            Segment seg, int shard, Map<String, NodeRecord> candidates, Map<String, String> zones) {
        Set<String> holding = Set.copyOf(seg.getNodeIdsList());
        List<NodeRecord> free = candidates.values().stream()
                .filter(n -> !holding.contains(n.getNodeId()))
                .toList();
        if (free.isEmpty()) return Optional.empty();
        return Optional.of(Placement.chooseMore(seg.getShardSet() + "/move", free, 1, otherZones(seg, shard, zones))
                .get(0));
    }

    /** True when a shard of the segment was never written or sits on a node that is not live: healing's business. */
    static boolean degraded(Segment seg, Map<String, NodeRecord> live) {
        if (seg.getMissingShardsCount() > 0) return true;
        for (String node : seg.getNodeIdsList()) if (!live.containsKey(node)) return true;
        return false;
    }

    /** Zones of the segment's shards other than {@code shard}, one entry per placed shard. */
    static List<String> otherZones(Segment seg, int shard, Map<String, String> zones) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < seg.getNodeIdsCount(); i++) {
            String node = seg.getNodeIds(i);
            if (i != shard && !node.isEmpty() && !seg.getMissingShardsList().contains(i))
                out.add(zones.getOrDefault(node, ""));
        }
        return out;
    }

    /**
     * Moves shard {@code shard} of {@code seg}, as read at {@code ref}, to {@code target}.
     * @throws IOException when neither a copy nor a rebuild could be written
     */
    Outcome move(SegmentScan.Ref ref, Segment seg, int shard, NodeRecord target, Map<String, NodeRecord> live)
            throws IOException {
        StripeLayout layout = StripeLayout.of(seg.getLayout(), seg.getSize());
        String from = seg.getNodeIds(shard);
        SegmentHealer.Rebuilt placed;
        try {
            // An empty segment has no shard bytes anywhere: only the record changes.
            placed = layout.size() == 0
                    ? new SegmentHealer.Rebuilt(shard, target.getNodeId(), crcOf(seg, shard))
                    : write(seg, shard, layout, target, live);
        } catch (IOException e) {
            // Reading fails once an overwrite or delete let GC take the old shards: not a failure of the move.
            if (!placedAsRead(ref, seg)) return Outcome.CHANGED;
            throw e;
        }
        Map<Integer, String> expected = new HashMap<>();
        for (int i = 0; i < seg.getNodeIdsCount(); i++) expected.put(i, seg.getNodeIds(i));
        // The copy left behind is queued as garbage in the swap's own transaction.
        List<SegmentHealer.Rebuilt> left =
                from.isEmpty() ? List.of() : List.of(new SegmentHealer.Rebuilt(shard, from, 0));
        if (!meta.replaceShards(
                ref.bucket(),
                ref.key(),
                ref.uploadId(),
                seg.getShardSet(),
                List.of(placed),
                expected,
                ShardCopyGarbage.records(seg, left, "moved to " + target.getNodeId()))) {
            // Unless another move or heal put this very shard on the same node: that copy is the record's now.
            Optional<Segment> now = current(ref, seg.getShardSet());
            if (now.isEmpty() || !now.get().getNodeIds(shard).equals(placed.nodeId())) {
                garbage.queue(seg, List.of(placed), "move raced a change of the segment");
            }
            return Outcome.CHANGED;
        }
        return Outcome.MOVED;
    }

    /** A copy of the shard on the target, or a rebuild when the copy fails; paced by the heal rate. */
    private SegmentHealer.Rebuilt write(
            Segment seg, int shard, StripeLayout layout, NodeRecord target, Map<String, NodeRecord> live)
            throws IOException {
        String from = seg.getNodeIds(shard);
        try {
            return new SegmentHealer.Rebuilt(
                    shard, target.getNodeId(), copy(seg, shard, layout, live.get(from), target));
        } catch (IOException e) {
            log.info(
                    "move {}.{}: cannot copy from {} ({}); rebuilding from the other shards",
                    seg.getShardSet(),
                    shard,
                    from,
                    e.getMessage());
            return healer.rebuild(seg, live, new int[] {shard}, List.of(target), ShardProblems.NONE)
                    .get(0);
        } finally {
            rate.pace(layout.shardLength());
        }
    }

    /**
     * Streams the shard from its node to the target chunk by chunk; the node checks every chunk's
     * checksum as it reads, and the copy's whole-shard checksum must match the one recorded.
     * @return the copy's CRC32C
     */
    private int copy(Segment seg, int shard, StripeLayout layout, NodeRecord from, NodeRecord to) throws IOException {
        if (from == null) throw new IOException("node " + seg.getNodeIds(shard) + " is not live");
        if (seg.getMissingShardsList().contains(shard)) throw new IOException("the shard was never written");
        String id = SegmentEncoder.shardId(seg.getShardSet(), shard);
        RemoteShardWriter out = RemoteShardWriter.open(clients, to, id, layout.chunkSize(), IO_TIMEOUT_MS);
        try (RemoteShardReader in = layout.shardLength() == 0
                ? null
                : RemoteShardReader.open(
                        clients, from, id, 0, layout.shardLength(), IO_TIMEOUT_MS, RemoteShardReader.DEFAULT_WINDOW)) {
            for (long s = 0; s < layout.stripeCount(); s++) {
                int len = layout.chunkLength(s);
                byte[] chunk = new byte[len]; // fresh per chunk: the writer sends it without copying
                in.readFully(chunk, len);
                out.write(chunk, len);
            }
            out.complete();
            int crc = out.awaitDurable(IO_TIMEOUT_MS).getCrc32C();
            if (shard < seg.getShardCrc32CCount() && crc != seg.getShardCrc32C(shard)) {
                throw new IOException(String.format(
                        "copy checksum %08x differs from the recorded %08x", crc, seg.getShardCrc32C(shard)));
            }
            return crc;
        } catch (IOException | RuntimeException e) {
            out.abort("move failed");
            throw e;
        }
    }

    /** The segment as its object or part record holds it now; empty when no longer referenced there. */
    private Optional<Segment> current(SegmentScan.Ref ref, String shardSet) {
        List<Segment> segments = new ArrayList<>();
        if (ref.isPart()) {
            meta.getUploadState(ref.bucket(), ref.uploadId())
                    .ifPresent(u -> u.parts().forEach(p -> segments.add(p.getSegment())));
        }
        // A part may have become part of the object since.
        // Or a version of the object made noncurrent since (versioned buckets).
        meta.versionsWithData(ref.bucket(), ref.key()).forEach(o -> segments.addAll(o.getSegmentsList()));
        return segments.stream().filter(s -> s.getShardSet().equals(shardSet)).findFirst();
    }

    private boolean placedAsRead(SegmentScan.Ref ref, Segment seg) {
        return current(ref, seg.getShardSet())
                .map(s -> s.getNodeIdsList().equals(seg.getNodeIdsList()))
                .orElse(false);
    }

    private static int crcOf(Segment seg, int shard) {
        return shard < seg.getShardCrc32CCount() ? seg.getShardCrc32C(shard) : 0;
    }
}
