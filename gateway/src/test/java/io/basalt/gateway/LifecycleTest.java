package io.basalt.gateway;

import static io.basalt.gateway.S3Errors.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.LifecycleRuleFilter;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.TransitionStorageClass;

/**
 * Bucket lifecycle rules through the SDK: the configuration as S3 takes, answers and refuses it, and rules
 * run by a real coordinator against the cluster (its lifecycle "day" is two seconds here).
 */
class LifecycleTest {

    static final String BUCKET = "lifecycle";

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension(BUCKET);

    private static void put(String bucket, LifecycleRule... rules) {
        env.s3().putBucketLifecycleConfiguration(b -> b.bucket(bucket).lifecycleConfiguration(c -> c.rules(rules)));
    }

    @Test
    void theConfigurationIsAnsweredAsPutAndRemovedWithItsBucket() {
        S3Client s3 = env.s3();
        fails(404, "NoSuchLifecycleConfiguration", () -> s3.getBucketLifecycleConfiguration(b -> b.bucket(BUCKET)));
        LifecycleRule logs = LifecycleRule.builder()
                .id("logs")
                .status(ExpirationStatus.ENABLED)
                .filter(f -> f.prefix("logs/"))
                .expiration(e -> e.days(30))
                .abortIncompleteMultipartUpload(a -> a.daysAfterInitiation(2))
                .build();
        LifecycleRule tagged = LifecycleRule.builder()
                .id("tagged")
                .status(ExpirationStatus.DISABLED)
                .filter(f -> f.and(a -> a.prefix("tmp/")
                        .tags(Tag.builder().key("class").value("scratch").build())
                        .objectSizeGreaterThan(1024L)))
                .expiration(e -> e.date(Instant.parse("2030-01-01T00:00:00Z")))
                .noncurrentVersionExpiration(n -> n.noncurrentDays(7))
                .build();
        put(BUCKET, logs, tagged);
        List<LifecycleRule> back =
                s3.getBucketLifecycleConfiguration(b -> b.bucket(BUCKET)).rules();
        assertEquals(List.of(logs, tagged), back);

        s3.deleteBucketLifecycle(b -> b.bucket(BUCKET));
        fails(404, "NoSuchLifecycleConfiguration", () -> s3.getBucketLifecycleConfiguration(b -> b.bucket(BUCKET)));

        // a bucket made again under a name must not inherit rules that delete its objects
        s3.createBucket(b -> b.bucket("lifecycle-again"));
        put("lifecycle-again", logs);
        s3.deleteBucket(b -> b.bucket("lifecycle-again"));
        s3.createBucket(b -> b.bucket("lifecycle-again"));
        fails(
                404,
                "NoSuchLifecycleConfiguration",
                () -> s3.getBucketLifecycleConfiguration(b -> b.bucket("lifecycle-again")));
        fails(404, "NoSuchBucket", () -> put("no-such-bucket", logs));
    }

    @Test
    void whatS3RefusesIsRefusedAndWhatBasaltCannotDoIsNotImplemented() {
        S3Client s3 = env.s3();
        s3.createBucket(b -> b.bucket("lifecycle-refusals"));
        String bucket = "lifecycle-refusals";
        LifecycleRule.Builder base =
                LifecycleRule.builder().id("r").status(ExpirationStatus.ENABLED).filter(f -> f.prefix(""));
        fails(
                400,
                "InvalidArgument",
                () -> put(bucket, base.copy().expiration(e -> e.days(0)).build()));
        fails(
                400,
                "InvalidArgument",
                () -> put(
                        bucket,
                        base.copy()
                                .expiration(e -> e.date(Instant.parse("2030-01-01T12:00:00Z")))
                                .build()));
        fails(400, "InvalidRequest", () -> put(bucket, base.copy().build()));
        fails(
                400,
                "InvalidArgument",
                () -> put(
                        bucket,
                        base.copy().expiration(e -> e.days(1)).build(),
                        base.copy().expiration(e -> e.days(2)).build()));
        fails(
                400,
                "InvalidRequest",
                () -> put(
                        bucket,
                        base.copy()
                                .filter(LifecycleRuleFilter.builder()
                                        .tag(t -> t.key("k").value("v"))
                                        .build())
                                .abortIncompleteMultipartUpload(a -> a.daysAfterInitiation(1))
                                .build()));
        fails(
                501,
                "NotImplemented",
                () -> put(
                        bucket,
                        base.copy()
                                .transitions(t -> t.days(30).storageClass(TransitionStorageClass.GLACIER))
                                .build()));
        fails(404, "NoSuchLifecycleConfiguration", () -> s3.getBucketLifecycleConfiguration(b -> b.bucket(bucket)));
    }

    @Test
    void aCoordinatorExpiresWhatTheRulesNameAndNothingElse() throws Exception {
        S3Client s3 = env.s3();
        String bucket = "lifecycle-run";
        s3.createBucket(b -> b.bucket(bucket));
        put(
                bucket,
                LifecycleRule.builder()
                        .id("tmp")
                        .status(ExpirationStatus.ENABLED)
                        .filter(f -> f.prefix("tmp/"))
                        .expiration(e -> e.days(1))
                        .build(),
                LifecycleRule.builder()
                        .id("scratch")
                        .status(ExpirationStatus.ENABLED)
                        .filter(f -> f.tag(t -> t.key("class").value("scratch")))
                        .expiration(e -> e.days(1))
                        .build(),
                LifecycleRule.builder()
                        .id("off")
                        .status(ExpirationStatus.DISABLED)
                        .filter(f -> f.prefix("keep/off"))
                        .expiration(e -> e.days(1))
                        .build(),
                LifecycleRule.builder()
                        .id("uploads")
                        .status(ExpirationStatus.ENABLED)
                        .filter(f -> f.prefix("up/"))
                        .abortIncompleteMultipartUpload(a -> a.daysAfterInitiation(1))
                        .build());
        for (String key : List.of("tmp/a", "tmp/b", "keep/a", "keep/off")) {
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(key));
        }
        s3.putObject(b -> b.bucket(bucket).key("keep/scratch").tagging("class=scratch"), RequestBody.fromString("s"));
        s3.putObject(b -> b.bucket(bucket).key("keep/other").tagging("class=gold"), RequestBody.fromString("g"));
        String doomed =
                s3.createMultipartUpload(b -> b.bucket(bucket).key("up/x")).uploadId();
        String kept =
                s3.createMultipartUpload(b -> b.bucket(bucket).key("down/x")).uploadId();

        env.cluster().startCoordinator(Duration.ofSeconds(2));
        Set<String> expected = Set.of("keep/a", "keep/off", "keep/other");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!keys(bucket).equals(expected) && System.nanoTime() < deadline) Thread.sleep(200);
        assertEquals(expected, keys(bucket));
        for (String key : expected) {
            assertTrue(s3.headObject(b -> b.bucket(bucket).key(key)).contentLength() > 0, key);
        }
        while (s3.listMultipartUploads(b -> b.bucket(bucket)).uploads().size() > 1 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertEquals(
                List.of(kept),
                s3.listMultipartUploads(b -> b.bucket(bucket)).uploads().stream()
                        .map(u -> u.uploadId())
                        .toList());
        fails(
                404,
                "NoSuchUpload",
                () -> s3.listParts(b -> b.bucket(bucket).key("up/x").uploadId(doomed)));
    }

    private static Set<String> keys(String bucket) {
        return env.s3().listObjectsV2(b -> b.bucket(bucket)).contents().stream()
                .map(S3Object::key)
                .collect(Collectors.toSet());
    }
}
