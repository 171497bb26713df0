package io.basalt.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.MetadataStore.BucketDeletion;
import io.basalt.core.meta.MetadataStore.CompleteOutcome;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.meta.MetadataStore.PutOutcome;
import io.basalt.core.meta.MetadataStore.UploadState;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DeleteBucket against writes into the same bucket, on a real etcd: whatever the interleaving,
 * afterwards either the bucket exists (with every write that was acknowledged) or no object write was
 * acknowledged and no object or upload key is left under it (unfinished uploads are aborted with
 * their bucket, as on S3).
 */
class BucketDeletionRaceTest {

    static EtcdProcess etcd;
    static EtcdMetadataStore meta;
    static final Keys keys = new Keys("/race/");

    @BeforeAll
    static void start() {
        etcd = EtcdProcess.start();
        meta = EtcdMetadataStore.connect(List.of(etcd.endpoint()), keys);
    }

    @AfterAll
    static void stop() {
        if (meta != null) meta.close();
        if (etcd != null) etcd.close();
    }

    /** What one racing write was told. */
    record Write(String key, String versionId, boolean upload, String outcome) {}

    @Test
    void deleteBucketNeverLeavesAnAcknowledgedWriteBehind() throws Exception {
        // Writers start spread over about one DeleteBucket's duration, so some land in every step of it.
        long spreadNanos = 0;
        for (int i = 0; i < 5; i++) {
            meta.createBucket(BucketRecord.newBuilder().setName("calibrate").build());
            long t0 = System.nanoTime();
            assertEquals(BucketDeletion.DELETED, meta.deleteBucket("calibrate"));
            spreadNanos += (System.nanoTime() - t0) / 5;
        }
        int writers = 6, rounds = 150, deleted = 0, notEmpty = 0;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        try {
            for (int round = 0; round < rounds; round++) {
                String bucket = "b" + round;
                assertTrue(meta.createBucket(
                        BucketRecord.newBuilder().setName(bucket).build()));
                CountDownLatch go = new CountDownLatch(1);
                Future<BucketDeletion> deletion = pool.submit(() -> {
                    go.await();
                    return meta.deleteBucket(bucket);
                });
                List<Future<Write>> writes = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    String key = "k" + w;
                    boolean upload = w % 3 == 2;
                    long delay = ThreadLocalRandom.current().nextLong(spreadNanos * 3 / 2 + 1);
                    writes.add(pool.submit(() -> {
                        go.await();
                        LockSupport.parkNanos(delay);
                        return write(bucket, key, upload);
                    }));
                }
                go.countDown();
                BucketDeletion d = deletion.get(30, TimeUnit.SECONDS);
                List<Write> done = new ArrayList<>();
                for (Future<Write> f : writes) done.add(f.get(30, TimeUnit.SECONDS));
                checkInvariant(bucket, d, done);
                if (d == BucketDeletion.DELETED) deleted++;
                else notEmpty++;
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf(
                "%d rounds: DeleteBucket won %d, writes won %d (DeleteBucket of an empty bucket ~%d us)%n",
                rounds, deleted, notEmpty, spreadNanos / 1000);
        // Both outcomes must have been exercised, or the race was not raced.
        assertTrue(deleted > 0 && notEmpty > 0, "deleted " + deleted + ", not empty " + notEmpty);
    }

    /**
     * CompleteMultipartUpload turns an upload into an object in one step; DeleteBucket, which aborts
     * unfinished uploads, must never delete the bucket while that object comes into it: either the
     * completion wins (the bucket is not empty) or DeleteBucket does (the upload is aborted, nothing is
     * completed).
     */
    @Test
    void deleteBucketSeesAnUploadBeingCompleted() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int completed = 0, abortedFirst = 0;
        try {
            for (int round = 0; round < 100; round++) {
                String bucket = "c" + round;
                assertTrue(meta.createBucket(
                        BucketRecord.newBuilder().setName(bucket).build()));
                assertTrue(meta.createUpload(UploadRecord.newBuilder()
                        .setBucket(bucket)
                        .setKey("k")
                        .setUploadId(bucket + "-u")
                        .build()));
                UploadState state = meta.getUploadState(bucket, bucket + "-u").orElseThrow();
                CountDownLatch go = new CountDownLatch(1);
                Future<BucketDeletion> deletion = pool.submit(() -> {
                    go.await();
                    return meta.deleteBucket(bucket);
                });
                long delay = ThreadLocalRandom.current().nextLong(2_000_000);
                Future<CompleteOutcome> complete = pool.submit(() -> {
                    go.await();
                    LockSupport.parkNanos(delay);
                    return meta.completeUpload(state, object("v-" + bucket), List.of());
                });
                go.countDown();
                BucketDeletion d = deletion.get(30, TimeUnit.SECONDS);
                CompleteOutcome c;
                try {
                    c = complete.get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof BucketBusyException)) throw e;
                    c = null; // it waited out the deleter's marker
                }
                if (d == BucketDeletion.DELETED) {
                    // DeleteBucket won: it aborted the unfinished upload, so the completion found none
                    abortedFirst++;
                    assertNotEquals(
                            CompleteOutcome.COMPLETED, c, "round " + round + ": completed into a deleted bucket");
                    assertFalse(exists(keys.bucket(bucket)));
                    assertFalse(exists(keys.object(bucket, "k")), "round " + round + ": an object outlived its bucket");
                } else {
                    // the completion won: the bucket holds its object and stays
                    completed++;
                    assertEquals(BucketDeletion.NOT_EMPTY, d, "round " + round);
                    assertEquals(CompleteOutcome.COMPLETED, c, "round " + round);
                    assertTrue(exists(keys.bucket(bucket)));
                    assertEquals(
                            "v-" + bucket,
                            meta.getObject(bucket, "k").orElseThrow().getVersionId());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("100 rounds: the completion won %d, DeleteBucket won %d%n", completed, abortedFirst);
        assertEquals(100, completed + abortedFirst);
    }

    /**
     * A DeleteBucket that died holding its marker: writes into the bucket are refused as busy
     * (the client may retry) only until the marker's lease expires, then go through.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard, not a speed limit
    void aCrashedDeletersMarkerBlocksWritesOnlyUntilItsLeaseExpires() throws Exception {
        String bucket = "stale";
        assertTrue(meta.createBucket(BucketRecord.newBuilder().setName(bucket).build()));
        long ttlSeconds = 6;
        try (Client crashed = Etcd.connect(List.of(etcd.endpoint()))) {
            long lease = crashed.getLeaseClient()
                    .grant(ttlSeconds)
                    .get(10, TimeUnit.SECONDS)
                    .getID();
            crashed.getKVClient()
                    .put(
                            Etcd.bs(keys.bucketDeleting(bucket)),
                            ByteSequence.EMPTY,
                            PutOption.builder().withLeaseId(lease).build())
                    .get(10, TimeUnit.SECONDS);
        } // no keep-alive: the lease runs out as a dead process's would

        long t0 = System.nanoTime();
        assertThrows(BucketBusyException.class, () -> meta.putObject(bucket, "k", object("v1"), PutCondition.NONE));
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waitedMs >= 2_500, "a write waits a while for the marker to go: " + waitedMs + " ms");
        assertFalse(exists(keys.object(bucket, "k")));

        // etcd expires the lease; a marker that outlived it would hang here until the method's timeout
        while (exists(keys.bucketDeleting(bucket))) Thread.sleep(100);
        assertEquals(PutOutcome.COMMITTED, meta.putObject(bucket, "k", object("v2"), PutCondition.NONE));
        assertTrue(meta.createUpload(UploadRecord.newBuilder()
                .setBucket(bucket)
                .setKey("m")
                .setUploadId("stale-u")
                .build()));
        assertEquals("v2", meta.getObject(bucket, "k").orElseThrow().getVersionId());
        assertEquals(BucketDeletion.NOT_EMPTY, meta.deleteBucket(bucket));
        assertFalse(
                exists(keys.bucketDeleting(bucket)),
                "a DeleteBucket that found the bucket non-empty removes its marker");
        assertEquals(PutOutcome.COMMITTED, meta.putObject(bucket, "k2", object("v3"), PutCondition.NONE));
    }

    private static Write write(String bucket, String key, boolean upload) {
        String version = bucket + "-" + key;
        try {
            if (upload) {
                boolean ok = meta.createUpload(UploadRecord.newBuilder()
                        .setBucket(bucket)
                        .setKey(key)
                        .setUploadId(version)
                        .build());
                return new Write(key, version, true, ok ? "COMMITTED" : "NO_SUCH_BUCKET");
            }
            return new Write(
                    key,
                    version,
                    false,
                    meta.putObject(bucket, key, object(version), PutCondition.NONE)
                            .name());
        } catch (BucketBusyException e) {
            return new Write(key, version, upload, "BUSY");
        }
    }

    private static void checkInvariant(String bucket, BucketDeletion d, List<Write> writes) throws Exception {
        boolean bucketExists = exists(keys.bucket(bucket));
        List<KeyValue> objects = range(keys.objectPrefix(bucket));
        List<KeyValue> uploads = range(keys.uploadPrefix(bucket));
        // an acknowledged object must outlive any DeleteBucket; an acknowledged upload, unfinished, is aborted
        // by a DeleteBucket that comes after it (as on S3)
        long acknowledged = writes.stream()
                .filter(w -> w.outcome().equals("COMMITTED") && !w.upload())
                .count();
        String what = bucket + ": delete " + d + ", writes " + writes + ", " + objects.size() + " object and "
                + uploads.size() + " upload keys";
        assertTrue(bucketExists || objects.isEmpty() && uploads.isEmpty(), "keys left under a deleted bucket: " + what);
        assertEquals(d != BucketDeletion.DELETED, bucketExists, what);
        if (!bucketExists) assertEquals(0, acknowledged, "objects acknowledged into a deleted bucket: " + what);
        assertFalse(exists(keys.bucketDeleting(bucket)), "marker left behind: " + what);
        for (Write w : writes) {
            // The marker lives for a few round trips: nobody should have waited it out in vain.
            assertTrue(w.outcome().equals("COMMITTED") || w.outcome().equals("NO_SUCH_BUCKET"), what);
            if (!w.outcome().equals("COMMITTED") || !bucketExists) continue;
            if (w.upload()) {
                assertEquals(
                        w.key(),
                        meta.getUpload(bucket, w.versionId())
                                .orElseThrow(() -> new AssertionError(what))
                                .getKey());
            } else {
                assertEquals(
                        w.versionId(),
                        meta.getObject(bucket, w.key())
                                .orElseThrow(() -> new AssertionError(what))
                                .getVersionId());
            }
        }
        long acknowledgedUploads = writes.stream()
                .filter(w -> w.outcome().equals("COMMITTED") && w.upload())
                .count();
        assertEquals(acknowledged, objects.size(), "exactly the acknowledged objects are stored: " + what);
        if (bucketExists) {
            assertEquals(acknowledgedUploads, uploads.size(), "exactly the acknowledged uploads are stored: " + what);
        }
    }

    private static ObjectRecord object(String versionId) {
        Segment seg = Segment.newBuilder()
                .setShardSet(versionId)
                .setSize(1)
                .setLayout(ErasureLayout.newBuilder().setK(1).setM(1).setBlockSize(16))
                .addNodeIds("n0")
                .addNodeIds("n1")
                .build();
        return ObjectRecord.newBuilder()
                .setVersionId(versionId)
                .addSegments(seg)
                .build();
    }

    private static boolean exists(String key) throws Exception {
        return !meta.client()
                .getKVClient()
                .get(Etcd.bs(key))
                .get(10, TimeUnit.SECONDS)
                .getKvs()
                .isEmpty();
    }

    private static List<KeyValue> range(String prefix) throws Exception {
        return meta.client()
                .getKVClient()
                .get(Etcd.bs(prefix), GetOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS)
                .getKvs();
    }
}
