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
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Puts a corrupt shard found by the scrubber into the coordinator's heal queue as
 * {@code heal/<shard set>} with bucket and key empty: the node knows no object names, so the
 * coordinator resolves them. An existing record for the set (another node's report, a read's)
 * is extended rather than overwritten, in a transaction on its revision. The shards of a failed
 * disk go the same way, many shard sets per transaction.
 */
final class ScrubHealQueue implements Scrubber.CorruptionSink {
    private static final Logger log = LogManager.getLogger(ScrubHealQueue.class);
    private static final int ATTEMPTS = 5;
    /** Shard sets per transaction; etcd refuses more than 128 operations per branch by default. */
    static final int SETS_PER_TXN = 100;
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

    /**
     * Queues every shard in {@code shardIds} (ids that are not segment shards are skipped), one
     * transaction per {@value #SETS_PER_TXN} shard sets: a read of their records, then a write
     * guarded by each record's revision, repeated when another writer got in between.
     *
     * @return how many shard sets were queued
     */
    int queueLost(Collection<String> shardIds, String reason) {
        Map<String, TreeSet<Integer>> bySet = new TreeMap<>();
        for (String id : shardIds) {
            try {
                Parsed p = Parsed.of(id);
                bySet.computeIfAbsent(p.shardSet(), s -> new TreeSet<>()).add(p.index());
            } catch (IllegalArgumentException e) {
                log.warn("not queueing {} for healing: {}", id, e.getMessage());
            }
        }
        List<String> sets = new ArrayList<>(bySet.keySet());
        for (int from = 0; from < sets.size(); from += SETS_PER_TXN) {
            List<String> batch = sets.subList(from, Math.min(sets.size(), from + SETS_PER_TXN));
            queueBatch(batch, bySet, reason);
        }
        return sets.size();
    }

    private void queueBatch(List<String> sets, Map<String, TreeSet<Integer>> bySet, String reason) {
        List<ByteSequence> keyList = sets.stream().map(s -> ByteSequence.from(keys.heal(s), StandardCharsets.UTF_8)).toList();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            var read = client.getKVClient().txn();
            read.Then(keyList.stream().map(k -> Op.get(k, GetOption.DEFAULT)).toArray(Op[]::new));
            List<GetResponse> current = await(read.commit()).getGetResponses();
            List<Cmp> unchanged = new ArrayList<>();
            List<Op> puts = new ArrayList<>();
            long now = System.currentTimeMillis();
            for (int i = 0; i < sets.size(); i++) {
                ByteSequence key = keyList.get(i);
                HealRecord.Builder next;
                if (current.get(i).getKvs().isEmpty()) {
                    next = HealRecord.newBuilder().setQueuedUnixMs(now);
                    unchanged.add(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)));
                } else {
                    KeyValue kv = current.get(i).getKvs().get(0);
                    next = parse(kv).toBuilder();
                    unchanged.add(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision())));
                }
                next.setShardSet(sets.get(i)).setReason(reason);
                for (int index : bySet.get(sets.get(i))) {
                    if (!next.getShardsList().contains(index)) next.addShards(index);
                }
                puts.add(Op.put(key, ByteSequence.from(next.build().toByteArray()), PutOption.DEFAULT));
            }
            TxnResponse done = await(client.getKVClient().txn().If(unchanged.toArray(Cmp[]::new))
                    .Then(puts.toArray(Op[]::new)).commit());
            if (done.isSucceeded()) return;
        }
        throw new IllegalStateException("heal records of " + sets.size() + " shard sets kept changing");
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
