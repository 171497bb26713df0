package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.Etcd;
import io.basalt.core.meta.Keys;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** DeleteBucket racing writes into the bucket, through the S3 API. */
class BucketDeletionRaceTest {

    static final String BUCKET = "deletion-race";

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension(BUCKET);

    /** A write that meets a DeleteBucket which does not finish (its gateway died) is refused as retryable, and leaves no shards. */
    @Test
    void writesIntoABucketBeingDeletedAnswerOperationAborted() throws Exception {
        String bucket = "being-deleted";
        env.s3().createBucket(b -> b.bucket(bucket));
        env.s3().putObject(b -> b.bucket(BUCKET).key("source"), RequestBody.fromString("copy me"));
        int shardsBefore = shardFiles();
        try (Client etcd = env.cluster().etcdClient()) {
            long lease =
                    etcd.getLeaseClient().grant(60).get(10, TimeUnit.SECONDS).getID();
            etcd.getKVClient()
                    .put(
                            Etcd.bs(Keys.defaults().bucketDeleting(bucket)),
                            ByteSequence.EMPTY,
                            PutOption.builder().withLeaseId(lease).build())
                    .get(10, TimeUnit.SECONDS);

            assertAborted(() -> env.s3().putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromString("body")));
            assertAborted(() -> env.s3()
                    .copyObject(b -> b.sourceBucket(BUCKET)
                            .sourceKey("source")
                            .destinationBucket(bucket)
                            .destinationKey("c")));
            assertAborted(
                    () -> env.s3().createMultipartUpload(b -> b.bucket(bucket).key("m")));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (shardFiles() != shardsBefore && System.nanoTime() < deadline) Thread.sleep(50);
            assertEquals(shardsBefore, shardFiles(), "the refused PUT and copy discard their shards");

            etcd.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS); // as its lease running out would
        }
        env.s3().putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromString("body"));
        assertEquals(
                "body",
                env.s3().getObjectAsBytes(b -> b.bucket(bucket).key("k")).asUtf8String());
        S3Exception notEmpty = assertThrows(S3Exception.class, () -> env.s3().deleteBucket(b -> b.bucket(bucket)));
        assertEquals("BucketNotEmpty", notEmpty.awsErrorDetails().errorCode());
        env.s3().deleteObject(b -> b.bucket(bucket).key("k"));
        env.s3().deleteBucket(b -> b.bucket(bucket));
    }

    @Test
    void deleteBucketAndPutsAgreeOnWhoWon() throws Exception {
        int writers = 4, rounds = 15, deleted = 0;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        try {
            for (int round = 0; round < rounds; round++) {
                String bucket = "race-" + round;
                env.s3().createBucket(b -> b.bucket(bucket));
                CountDownLatch go = new CountDownLatch(1);
                Future<Integer> deletion = pool.submit(() -> {
                    go.await();
                    Thread.sleep(ThreadLocalRandom.current().nextInt(40));
                    return status(204, () -> env.s3().deleteBucket(b -> b.bucket(bucket)));
                });
                List<Future<Integer>> puts = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    String key = "k" + w;
                    puts.add(pool.submit(() -> {
                        go.await();
                        Thread.sleep(ThreadLocalRandom.current().nextInt(20));
                        return status(
                                200,
                                () -> env.s3()
                                        .putObject(
                                                b -> b.bucket(bucket).key(key), RequestBody.fromString(bucket + key)));
                    }));
                }
                go.countDown();
                int d = deletion.get(60, TimeUnit.SECONDS);
                List<Integer> statuses = new ArrayList<>();
                for (Future<Integer> f : puts) statuses.add(f.get(60, TimeUnit.SECONDS));
                String what = bucket + ": DeleteBucket " + d + ", PUTs " + statuses;
                if (d == 204) {
                    deleted++;
                    assertTrue(statuses.stream().allMatch(s -> s == 404), what);
                    assertEquals(404, status(200, () -> env.s3().headBucket(b -> b.bucket(bucket))), what);
                    continue;
                }
                assertEquals(409, d, what);
                List<S3Object> listed =
                        env.s3().listObjectsV2(b -> b.bucket(bucket)).contents();
                assertEquals(statuses.stream().filter(s -> s == 200).count(), listed.size(), what);
                for (int w = 0; w < writers; w++) {
                    String key = "k" + w;
                    assertTrue(statuses.get(w) == 200 || statuses.get(w) == 404, what);
                    if (statuses.get(w) != 200) continue;
                    assertEquals(
                            bucket + key,
                            env.s3()
                                    .getObjectAsBytes(b -> b.bucket(bucket).key(key))
                                    .asUtf8String(),
                            what);
                    env.s3().deleteObject(b -> b.bucket(bucket).key(key));
                }
                env.s3().deleteBucket(b -> b.bucket(bucket));
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(deleted < rounds, "every round's DeleteBucket came first: the race was not raced");
    }

    private static void assertAborted(Executable call) {
        S3Exception e = assertThrows(S3Exception.class, call);
        assertEquals(409, e.statusCode());
        assertEquals("OperationAborted", e.awsErrorDetails().errorCode());
    }

    /** The HTTP status a call was answered with: {@code ok} if it succeeded. */
    private static int status(int ok, Runnable call) {
        try {
            call.run();
            return ok;
        } catch (S3Exception e) {
            return e.statusCode();
        }
    }

    private static int shardFiles() throws Exception {
        int n = 0;
        for (int i = 0; i < env.cluster().nodes.size(); i++)
            n += env.cluster().shards(i).size();
        return n;
    }
}
