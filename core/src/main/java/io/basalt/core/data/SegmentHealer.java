package io.basalt.core.data;

import io.basalt.core.erasure.StripeLayout;
import io.basalt.core.shard.RemoteShardWriter;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.Segment;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds lost shards of a segment: reads any k survivors stripe by stripe, reconstructs the
 * lost chunks and streams them to new nodes. Memory stays at one stripe; nothing here touches
 * metadata, so a rebuilt shard becomes real only when the caller swaps it into the record.
 */
public final class SegmentHealer {

    /** Shard {@code shard} now lives on {@code nodeId}. */
    public record Rebuilt(int shard, String nodeId, int crc32c) {}

    private final ShardClients clients;
    private final long ioTimeoutMs;

    public SegmentHealer(ShardClients clients, long ioTimeoutMs) {
        this.clients = clients;
        this.ioTimeoutMs = ioTimeoutMs;
    }

    /** @param targets targets.get(j) receives shard shards[j]; distinct from every node holding the segment */
    public List<Rebuilt> rebuild(
            Segment seg, Map<String, NodeRecord> live, int[] shards, List<NodeRecord> targets, ShardProblems problems)
            throws IOException {
        return rebuild(seg, live, shards, targets, problems, null);
    }

    /** As above, adding the time spent in each step to {@code steps} (may be null). */
    public List<Rebuilt> rebuild(
            Segment seg,
            Map<String, NodeRecord> live,
            int[] shards,
            List<NodeRecord> targets,
            ShardProblems problems,
            HealSteps steps)
            throws IOException {
        StripeLayout layout = StripeLayout.of(seg.getLayout(), seg.getSize());
        if (layout.size() == 0) return List.of();
        RemoteShardWriter[] writers = new RemoteShardWriter[shards.length];
        boolean rebuilt = false;
        long t = System.nanoTime();
        try (StripeReader reader =
                new StripeReader(clients, live, seg, layout.stripeCount() - 1, ioTimeoutMs, problems, null, shards)) {
            for (int j = 0; j < shards.length; j++) {
                NodeRecord target = targets.get(j);
                writers[j] = RemoteShardWriter.open(
                        clients,
                        target,
                        SegmentEncoder.shardId(seg.getShardSet(), shards[j]),
                        layout.chunkSize(),
                        ioTimeoutMs);
            }
            if (steps != null) steps.add(HealSteps.Step.OPEN, t);
            for (long s = 0; s < layout.stripeCount(); s++) {
                // Fresh arrays per stripe: the writers send them without copying.
                byte[][] chunks = new byte[layout.totalShards()][layout.chunkLength(s)];
                int chunkLen = reader.read(s, chunks, steps);
                t = System.nanoTime();
                for (int j = 0; j < shards.length; j++) writers[j].write(chunks[shards[j]], chunkLen);
                if (steps != null) steps.add(HealSteps.Step.WRITE, t);
            }
            t = System.nanoTime();
            List<Rebuilt> out = new ArrayList<>();
            for (RemoteShardWriter w : writers) w.complete();
            for (int j = 0; j < shards.length; j++) {
                int crc = writers[j].awaitDurable(ioTimeoutMs).getCrc32C();
                out.add(new Rebuilt(shards[j], targets.get(j).getNodeId(), crc));
            }
            if (steps != null) steps.add(HealSteps.Step.DURABLE, t);
            rebuilt = true;
            return out;
        } finally {
            // errors too (a direct-memory OutOfMemoryError among them): an open writer keeps its stream
            if (!rebuilt) for (RemoteShardWriter w : writers) if (w != null) w.abort("heal failed");
        }
    }
}
