package io.basalt.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.HealRecord;
import io.basalt.testkit.EtcdProcess;
import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The queues and admin keys on a real etcd: what a consumer read is removed only while unchanged,
 * so a report or request that comes in meanwhile is never lost.
 */
class EtcdMetadataQueuesTest {

    static EtcdProcess etcd;
    static EtcdMetadata metadata;

    @BeforeAll
    static void start() {
        etcd = EtcdProcess.start();
        metadata = EtcdMetadata.connect(List.of(etcd.endpoint()), new Keys("/queues/"));
    }

    @AfterAll
    static void stop() {
        if (metadata != null) metadata.close();
        if (etcd != null) etcd.close();
    }

    @Test
    void healReportsMergeAndARemovalLosesToANewerReport() {
        HealQueue heals = metadata.heals();
        heals.reportShard("s1", 2, "scrub on n1");
        heals.reportShard("s1", 0, "scrub on n2");
        Versioned<HealRecord> read = heals.first(0).get(0);
        assertEquals("s1", read.name());
        assertEquals(List.of(2, 0), read.value().getShardsList());
        assertEquals("scrub on n2", read.value().getReason());

        heals.reportShard("s1", 1, "scrub on n3");
        assertFalse(heals.removeIfUnchanged(read), "the entry changed since read");
        assertTrue(heals.removeIfUnchanged(heals.first(1).get(0)));
        assertEquals(0, heals.size());
    }

    @Test
    void lostShardsOfManySetsAreQueuedInBatches() {
        SortedMap<String, SortedSet<Integer>> bySet = new TreeMap<>();
        for (int i = 0; i < 2 * EtcdHealQueue.SETS_PER_TXN + 5; i++) {
            bySet.put(String.format("lost%03d", i), new TreeSet<>(List.of(i % 6)));
        }
        metadata.heals().reportShards(bySet, "disk failed");
        assertEquals(bySet.keySet(), new TreeSet<>(metadata.heals().shardSets()));
        for (Versioned<HealRecord> e : metadata.heals().first(0)) {
            if (e.name().startsWith("lost")) assertTrue(metadata.heals().removeIfUnchanged(e));
        }
    }

    @Test
    void garbageIsReadPageByPage() {
        GarbageQueue garbage = metadata.garbage();
        for (int i = 0; i < 7; i++)
            garbage.add(GarbageRecord.newBuilder().setReason("r" + i).build());
        assertEquals(7, garbage.size());
        int seen = 0;
        String after = null;
        while (true) {
            GarbageQueue.Page page = garbage.page(after, 3);
            seen += page.entries().size();
            if (!page.more() || page.entries().isEmpty()) break;
            after = page.entries().get(page.entries().size() - 1).name();
        }
        assertEquals(7, seen);
        for (Versioned<GarbageRecord> e : garbage.all()) assertTrue(garbage.removeIfUnchanged(e));
        assertEquals(0, garbage.size());
    }

    @Test
    void aRequestMadeAgainWhileHandledStays() {
        ClusterAdmin admin = metadata.admin();
        assertTrue(admin.pending(ClusterAdmin.Request.REBALANCE).isEmpty());
        admin.request(ClusterAdmin.Request.REBALANCE, "5.0");
        Versioned<String> read = admin.pending(ClusterAdmin.Request.REBALANCE).orElseThrow();
        admin.request(ClusterAdmin.Request.REBALANCE, "2.0");
        admin.complete(ClusterAdmin.Request.REBALANCE, read);
        assertEquals(
                "2.0",
                admin.pending(ClusterAdmin.Request.REBALANCE).orElseThrow().value());
        admin.complete(
                ClusterAdmin.Request.REBALANCE,
                admin.pending(ClusterAdmin.Request.REBALANCE).orElseThrow());
        assertFalse(admin.isPending(ClusterAdmin.Request.REBALANCE));
    }

    @Test
    void aCancelledDrainStaysCancelled() {
        ClusterAdmin admin = metadata.admin();
        assertTrue(admin.startDrain("n1", "requested"));
        assertFalse(admin.startDrain("n1", "again"), "a second drain keeps the first");
        Versioned<String> read = admin.drains().get("n1");
        assertEquals("requested", read.value());
        assertEquals(java.util.Set.of("n1"), admin.draining().nodeIds());
        assertTrue(admin.cancelDrain("n1"));
        admin.updateDrain(read, "draining");
        assertNull(admin.drains().get("n1"), "progress is not written into a cancelled drain");
        assertFalse(admin.cancelDrain("n1"));
        assertTrue(admin.setting("heal-rate-mbps").isEmpty());
        admin.publishStatus("test", "{\"ok\":true}");
        assertEquals("{\"ok\":true}", admin.status("test").orElseThrow());
    }
}
