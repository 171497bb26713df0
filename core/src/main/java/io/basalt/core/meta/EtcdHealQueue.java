package io.basalt.core.meta;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.proto.meta.HealRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@link HealQueue} on etcd: {@code heal/<shard set>}. A report extends an existing entry rather
 * than overwriting it, in a transaction on its revision; the shards of a failed disk go many
 * shard sets per transaction.
 */
final class EtcdHealQueue extends EtcdQueue<HealRecord> implements HealQueue {

    private static final int REPORT_ATTEMPTS = 5;
    /** Shard sets per transaction; etcd refuses more than 128 operations per branch by default. */
    static final int SETS_PER_TXN = 100;
    /** Reports come from storage nodes, which wait less for etcd than the coordinator does. */
    private static final long REPORT_TIMEOUT_MS = 5_000;
    /** A full read of the queue serves the orphan sweep, which may find it long. */
    private static final Duration READ_ALL_TIMEOUT = Duration.ofSeconds(30);

    private final Keys keys;

    EtcdHealQueue(KV kv, Keys keys) {
        super(kv, keys.healPrefix(), HealRecord.parser());
        this.keys = keys;
    }

    @Override
    public void reportShard(String shardSet, int index, String reason) {
        ByteSequence key = ByteSequence.from(keys.heal(shardSet), StandardCharsets.UTF_8);
        for (int attempt = 0; attempt < REPORT_ATTEMPTS; attempt++) {
            GetResponse current = awaitReport(kv.get(key));
            HealRecord.Builder next;
            Cmp unchanged;
            if (current.getKvs().isEmpty()) {
                next = HealRecord.newBuilder().setShardSet(shardSet).setQueuedUnixMs(System.currentTimeMillis());
                unchanged = new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0));
            } else {
                KeyValue e = current.getKvs().get(0);
                next = parse(e).toBuilder();
                unchanged = new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(e.getModRevision()));
            }
            next.setShardSet(shardSet);
            if (next.getShardsList().contains(index) && next.getReason().equals(reason)) return;
            if (!next.getShardsList().contains(index)) next.addShards(index);
            next.setReason(reason);
            boolean done = awaitReport(kv.txn()
                            .If(unchanged)
                            .Then(Op.put(key, ByteSequence.from(next.build().toByteArray()), PutOption.DEFAULT))
                            .commit())
                    .isSucceeded();
            if (done) return;
        }
        throw new IllegalStateException("heal record " + key + " kept changing");
    }

    /**
     * One transaction per {@value #SETS_PER_TXN} shard sets: a read of their records, then a write
     * guarded by each record's revision, repeated when another writer got in between.
     */
    @Override
    public void reportShards(SortedMap<String, SortedSet<Integer>> shardsBySet, String reason) {
        List<String> sets = new ArrayList<>(shardsBySet.keySet());
        for (int from = 0; from < sets.size(); from += SETS_PER_TXN) {
            List<String> batch = sets.subList(from, Math.min(sets.size(), from + SETS_PER_TXN));
            reportBatch(batch, shardsBySet, reason);
        }
    }

    private void reportBatch(List<String> sets, SortedMap<String, SortedSet<Integer>> bySet, String reason) {
        List<ByteSequence> keyList = sets.stream()
                .map(s -> ByteSequence.from(keys.heal(s), StandardCharsets.UTF_8))
                .toList();
        for (int attempt = 0; attempt < REPORT_ATTEMPTS; attempt++) {
            var read = kv.txn();
            read.Then(keyList.stream().map(k -> Op.get(k, GetOption.DEFAULT)).toArray(Op[]::new));
            List<GetResponse> current = awaitReport(read.commit()).getGetResponses();
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
                    KeyValue e = current.get(i).getKvs().get(0);
                    next = parse(e).toBuilder();
                    unchanged.add(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(e.getModRevision())));
                }
                next.setShardSet(sets.get(i)).setReason(reason);
                for (int index : bySet.get(sets.get(i))) {
                    if (!next.getShardsList().contains(index)) next.addShards(index);
                }
                puts.add(Op.put(key, ByteSequence.from(next.build().toByteArray()), PutOption.DEFAULT));
            }
            TxnResponse done = awaitReport(kv.txn()
                    .If(unchanged.toArray(Cmp[]::new))
                    .Then(puts.toArray(Op[]::new))
                    .commit());
            if (done.isSucceeded()) return;
        }
        throw new IllegalStateException("heal records of " + sets.size() + " shard sets kept changing");
    }

    @Override
    public Set<String> shardSets() {
        Set<String> out = new LinkedHashSet<>();
        for (KeyValue e : all(READ_ALL_TIMEOUT)) out.add(name(e));
        return out;
    }

    private static HealRecord parse(KeyValue e) {
        try {
            return RecordFormat.check(HealRecord.parseFrom(e.getValue().getBytes()), e.getKey());
        } catch (InvalidProtocolBufferException ex) {
            return HealRecord.getDefaultInstance(); // replaced by ours; the coordinator drops unreadable ones anyway
        }
    }

    private static <T> T awaitReport(CompletableFuture<T> f) {
        try {
            return f.get(REPORT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("etcd: " + e.getMessage(), e);
        }
    }
}
