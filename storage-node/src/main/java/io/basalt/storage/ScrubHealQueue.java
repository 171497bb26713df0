package io.basalt.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.core.meta.Keys;
import io.basalt.proto.meta.HealRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Puts a corrupt shard found by the scrubber into the coordinator's heal queue as
 * {@code heal/<shard set>} with bucket and key empty: the node knows no object names, so the
 * coordinator resolves them. An existing record for the set (another node's report, a read's)
 * is extended rather than overwritten, in a transaction on its revision.
 */
final class ScrubHealQueue implements Scrubber.CorruptionSink {
    private static final int ATTEMPTS = 5;
    private static final long OP_TIMEOUT_MS = 5_000;

    private final Client client;
    private final Keys keys;
    private final String nodeId;

    ScrubHealQueue(Client client, Keys keys, String nodeId) {
        this.client = client;
        this.keys = keys;
        this.nodeId = nodeId;
    }

    /** Shard ids are "<shard set>.<index>" (SegmentEncoder.shardId). */
    record Parsed(String shardSet, int index) {
        static Parsed of(String shardId) {
            int dot = shardId.lastIndexOf('.');
            if (dot <= 0) throw new IllegalArgumentException("not a segment shard id: " + shardId);
            try {
                return new Parsed(shardId.substring(0, dot), Integer.parseInt(shardId.substring(dot + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a segment shard id: " + shardId);
            }
        }
    }

    @Override
    public void report(Scrubber.Corruption c) {
        Parsed p = Parsed.of(c.shardId());
        String reason = "scrub found corrupt " + c.what() + " on " + nodeId;
        ByteSequence key = ByteSequence.from(keys.heal(p.shardSet()), StandardCharsets.UTF_8);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            GetResponse current = await(client.getKVClient().get(key));
            HealRecord.Builder next;
            Cmp unchanged;
            if (current.getKvs().isEmpty()) {
                next = HealRecord.newBuilder().setShardSet(p.shardSet()).setQueuedUnixMs(System.currentTimeMillis());
                unchanged = new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0));
            } else {
                KeyValue kv = current.getKvs().get(0);
                next = parse(kv).toBuilder();
                unchanged = new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision()));
            }
            next.setShardSet(p.shardSet());
            if (next.getShardsList().contains(p.index()) && next.getReason().equals(reason)) return;
            if (!next.getShardsList().contains(p.index())) next.addShards(p.index());
            next.setReason(reason);
            boolean done = await(client.getKVClient().txn().If(unchanged)
                    .Then(Op.put(key, ByteSequence.from(next.build().toByteArray()), PutOption.DEFAULT))
                    .commit()).isSucceeded();
            if (done) return;
        }
        throw new IllegalStateException("heal record " + key + " kept changing");
    }

    private static HealRecord parse(KeyValue kv) {
        try {
            return HealRecord.parseFrom(kv.getValue().getBytes());
        } catch (InvalidProtocolBufferException e) {
            return HealRecord.getDefaultInstance(); // replaced by ours; the coordinator drops unreadable ones anyway
        }
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.get(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("etcd: " + e.getMessage(), e);
        }
    }
}
