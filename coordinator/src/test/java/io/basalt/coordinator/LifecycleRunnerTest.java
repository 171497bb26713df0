package io.basalt.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.coordinator.admin.CoordinatorStatus;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.meta.MetadataStore.PutOutcome;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.LifecycleConfiguration;
import io.basalt.proto.meta.LifecycleRule;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Lifecycle passes over real etcd records: what is due goes (its shards queued as garbage), nothing else does. */
class LifecycleRunnerTest {

    private static final Keys KEYS = new Keys("/lifecycle-test/");
    private static final long DAY = Duration.ofDays(1).toMillis();
    /** 2023-11-14 06:00 UTC: rules count whole days from the midnight after creation plus the days. */
    private static final long T0 = 1_699_920_000_000L + Duration.ofHours(6).toMillis();

    private EtcdProcess etcd;
    private EtcdMetadataStore meta;

    @BeforeEach
    void start() throws Exception {
        etcd = EtcdProcess.start();
        meta = EtcdMetadataStore.connect(List.of(etcd.endpoint()), KEYS);
        assertTrue(meta.createBucket(BucketRecord.newBuilder().setName("b").build()));
        assertTrue(meta.createBucket(BucketRecord.newBuilder().setName("other").build()));
    }

    @AfterEach
    void stop() {
        if (meta != null) meta.close();
        if (etcd != null) etcd.close();
    }

    private void object(String bucket, String key, long created, String tag) {
        ObjectRecord.Builder r = ObjectRecord.newBuilder()
                .setVersionId("v-" + key + "-" + created)
                .setSize(10)
                .setModifiedUnixMs(created)
                .addSegments(Segment.newBuilder()
                        .setShardSet("ss-" + key.replace('/', '_') + "-" + created)
                        .setSize(10)
                        .setLayout(ErasureLayout.newBuilder().setK(1).setM(2).setBlockSize(1 << 20))
                        .addAllNodeIds(List.of("n1", "n2", "n3")));
        if (tag != null) r.putTags("class", tag);
        assertEquals(PutOutcome.COMMITTED, meta.putObject(bucket, key, r.build(), PutCondition.NONE));
    }

    private Set<String> keys(String bucket) {
        Set<String> out = new HashSet<>();
        meta.scanObjects(bucket, "", true, null, 0).forEach(o -> out.add(o.key()));
        return out;
    }

    private List<GarbageRecord> garbage() throws Exception {
        return meta
                .client()
                .getKVClient()
                .get(
                        ByteSequence.from(KEYS.garbagePrefix(), StandardCharsets.UTF_8),
                        GetOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS)
                .getKvs()
                .stream()
                .map(kv -> {
                    try {
                        return GarbageRecord.parseFrom(kv.getValue().getBytes());
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                })
                .toList();
    }

    @Test
    void aPassDeletesWhatIsDueInEveryPageAndAbortsDueUploads() throws Exception {
        // more objects than one page of the scan, half of them under the rule's prefix
        for (int i = 0; i < 1100; i++) object("b", (i % 2 == 0 ? "tmp/" : "keep/") + i, T0, null);
        object("b", "keep/scratch", T0, "scratch");
        object("b", "keep/young-scratch", T0 + 5 * DAY, "scratch");
        object("other", "tmp/not-this-bucket", T0, null);
        assertTrue(meta.createUpload(UploadRecord.newBuilder()
                .setUploadId("u-old")
                .setBucket("b")
                .setKey("tmp/big")
                .setInitiatedUnixMs(T0)
                .build()));
        assertTrue(meta.createUpload(UploadRecord.newBuilder()
                .setUploadId("u-new")
                .setBucket("b")
                .setKey("tmp/big2")
                .setInitiatedUnixMs(T0 + 5 * DAY)
                .build()));
        assertTrue(meta.putLifecycle(
                "b",
                LifecycleConfiguration.newBuilder()
                        .addRules(LifecycleRule.newBuilder()
                                .setEnabled(true)
                                .setPrefix("tmp/")
                                .setExpirationDays(3)
                                .setAbortIncompleteUploadDays(2))
                        .addRules(LifecycleRule.newBuilder()
                                .setEnabled(true)
                                .putTags("class", "scratch")
                                .setExpirationDays(1))
                        .build()));

        try (LifecycleRunner runner = new LifecycleRunner(meta, Duration.ofHours(1), Duration.ofDays(1))) {
            // three days on: nothing under tmp/ yet (due at the fourth midnight), the scratch object (the
            // second) and the old upload (the third) are due
            LifecycleRunner.Pass p = runner.runOnce(T0 + 3 * DAY);
            assertEquals(1102, p.scanned());
            assertEquals(1, p.expired());
            assertEquals(1, p.aborted());
            assertFalse(keys("b").contains("keep/scratch"));
            assertTrue(meta.getUpload("b", "u-old").isEmpty());
            assertTrue(meta.getUpload("b", "u-new").isPresent());

            // four days on: every tmp/ object, in both pages
            p = runner.runOnce(T0 + 4 * DAY);
            assertEquals(550, p.expired());
            Set<String> left = keys("b");
            assertEquals(551, left.size());
            assertTrue(left.stream().allMatch(k -> k.startsWith("keep/")), "only keep/ is left");
            assertTrue(left.contains("keep/young-scratch"));
            assertEquals(Set.of("tmp/not-this-bucket"), keys("other"), "another bucket's objects are not its rules'");

            CoordinatorStatus.Lifecycle s = runner.status();
            assertEquals(2, s.passes());
            assertEquals(551, s.expired());
            assertEquals(1, s.uploadsAborted());
            assertEquals(1, s.lastPassBuckets());
        }
        // every expired object's shards, and the aborted upload's (none: no parts), are queued for collection
        long expiredSegments = garbage().stream()
                .filter(g -> g.getReason().equals("expired"))
                .mapToLong(GarbageRecord::getSegmentsCount)
                .sum();
        assertEquals(551, expiredSegments);
    }

    @Test
    void inAVersionedBucketNoncurrentVersionsExpireAndLoneDeleteMarkersGo() {
        assertTrue(meta.setVersioning("b", true));
        // k: four versions a day apart; the newest is current, three are noncurrent
        for (int d = 0; d < 4; d++) object("b", "k", T0 + d * DAY, null);
        // gone: a version, then a delete marker on top; the marker is then deleted... and the version too
        object("b", "gone", T0, null);
        meta.delete("b", "gone", null); // a marker over it
        String onlyVersion = meta.scanVersions("b", "gone", true, 10).stream()
                .filter(v -> v.key().equals("gone") && !v.record().getDeleteMarker())
                .findFirst()
                .orElseThrow()
                .record()
                .getVersionId();
        meta.delete("b", "gone", onlyVersion); // now the marker stands alone
        assertTrue(meta.putLifecycle(
                "b",
                LifecycleConfiguration.newBuilder()
                        .addRules(LifecycleRule.newBuilder()
                                .setEnabled(true)
                                .setNoncurrentDays(1)
                                .setNewerNoncurrentVersions(1)
                                .setExpiredObjectDeleteMarker(true))
                        .build()));
        try (LifecycleRunner runner = new LifecycleRunner(meta, Duration.ofHours(1), Duration.ofDays(1))) {
            LifecycleRunner.Pass p = runner.runOnce(T0 + 10 * DAY);
            // of k's three noncurrent versions the newest is kept (NewerNoncurrentVersions 1), two go; the marker goes
            assertEquals(3, p.expired());
        }
        assertEquals(2, meta.versionsWithData("b", "k").size(), "the current version and one noncurrent");
        assertEquals(T0 + 3 * DAY, meta.getObject("b", "k").orElseThrow().getModifiedUnixMs());
        assertTrue(
                meta.scanVersions("b", "gone", true, 10).stream()
                        .noneMatch(v -> v.key().equals("gone")),
                "the lone marker is gone");
    }

    @Test
    void anObjectChangedSinceItWasJudgedIsNotDeleted() {
        object("b", "k", T0, null);
        String judged = meta.getObject("b", "k").orElseThrow().getVersionId();
        object("b", "k", T0 + 10 * DAY, null); // overwritten in between
        assertFalse(meta.deleteObjectVersion("b", "k", judged));
        assertTrue(meta.getObject("b", "k").isPresent());
        String current = meta.getObject("b", "k").orElseThrow().getVersionId();
        assertTrue(meta.deleteObjectVersion("b", "k", current));
        assertTrue(meta.getObject("b", "k").isEmpty());
        assertFalse(meta.deleteObjectVersion("b", "k", current), "already gone");
    }

    @Test
    void anInPlaceUpdateKeepsTheDataAndRefusesToChangeIt() {
        object("b", "k", T0, null);
        ObjectRecord before = meta.getObject("b", "k").orElseThrow();
        ObjectRecord after = meta.updateObject(
                        "b", "k", r -> r.toBuilder().putTags("a", "1").build())
                .orElseThrow();
        assertEquals("1", after.getTagsOrThrow("a"));
        assertEquals(
                before.getSegmentsList(), meta.getObject("b", "k").orElseThrow().getSegmentsList());
        assertThrows(
                IllegalArgumentException.class,
                () -> meta.updateObject(
                        "b", "k", r -> r.toBuilder().clearSegments().build()));
        assertEquals(after, meta.getObject("b", "k").orElseThrow());
        assertTrue(meta.updateObject("b", "absent", r -> r).isEmpty());
    }

    @Test
    void aBucketWithoutRulesThatActIsNotScanned() {
        object("b", "k", T0, null);
        assertTrue(meta.putLifecycle(
                "b",
                LifecycleConfiguration.newBuilder()
                        .addRules(LifecycleRule.newBuilder().setEnabled(false).setExpirationDays(1))
                        .addRules(LifecycleRule.newBuilder().setEnabled(true).setNoncurrentDays(1))
                        .build()));
        try (LifecycleRunner runner = new LifecycleRunner(meta, Duration.ofHours(1), Duration.ofDays(1))) {
            LifecycleRunner.Pass p = runner.runOnce(T0 + 100 * DAY);
            assertEquals(0, p.scanned());
            assertEquals(Set.of("k"), keys("b"));
        }
        assertFalse(meta.putLifecycle("absent", LifecycleConfiguration.getDefaultInstance()));
    }
}
