package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Conditional GET/HEAD, the atomic create-if-absent PUT that Milvus's Woodpecker WAL relies on, and the
 * atomic replace-if-unchanged PUT (If-Match).
 */
class ConditionalTest {

    static final String BUCKET = "conditional";

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension(BUCKET);

    @Test
    void conditionalGetAndHead() {
        String etag = env.s3()
                .putObject(b -> b.bucket(BUCKET).key("c"), RequestBody.fromString("content"))
                .eTag();
        HeadObjectResponse head = env.s3().headObject(b -> b.bucket(BUCKET).key("c"));
        assertEquals(etag, head.eTag());
        Instant modified = head.lastModified();

        assertEquals(
                "content",
                env.s3()
                        .getObjectAsBytes(b -> b.bucket(BUCKET).key("c").ifMatch(etag))
                        .asUtf8String());
        assertEquals(
                412,
                assertThrows(
                                S3Exception.class,
                                () -> env.s3()
                                        .getObjectAsBytes(
                                                b -> b.bucket(BUCKET).key("c").ifMatch("\"0123\"")))
                        .statusCode());
        assertEquals(
                412,
                assertThrows(
                                S3Exception.class,
                                () -> env.s3()
                                        .headObject(
                                                b -> b.bucket(BUCKET).key("c").ifMatch("\"0123\"")))
                        .statusCode());
        assertEquals(
                304,
                assertThrows(
                                S3Exception.class,
                                () -> env.s3()
                                        .getObjectAsBytes(
                                                b -> b.bucket(BUCKET).key("c").ifNoneMatch(etag)))
                        .statusCode());
        assertEquals(
                304,
                assertThrows(
                                S3Exception.class,
                                () -> env.s3()
                                        .getObjectAsBytes(b ->
                                                b.bucket(BUCKET).key("c").ifModifiedSince(modified.plusSeconds(60))))
                        .statusCode());
        assertEquals(
                "content",
                env.s3()
                        .getObjectAsBytes(b -> b.bucket(BUCKET).key("c").ifModifiedSince(modified.minusSeconds(60)))
                        .asUtf8String());
        assertEquals(
                412,
                assertThrows(
                                S3Exception.class,
                                () -> env.s3()
                                        .getObjectAsBytes(b ->
                                                b.bucket(BUCKET).key("c").ifUnmodifiedSince(modified.minusSeconds(60))))
                        .statusCode());
        assertEquals(
                "content",
                env.s3()
                        .getObjectAsBytes(b -> b.bucket(BUCKET).key("c").ifUnmodifiedSince(modified.plusSeconds(60)))
                        .asUtf8String());
    }

    @Test
    void createIfAbsentRefusesAnExistingKey() {
        env.s3().putObject(b -> b.bucket(BUCKET).key("once").ifNoneMatch("*"), RequestBody.fromString("first"));
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .putObject(
                                b -> b.bucket(BUCKET).key("once").ifNoneMatch("*"), RequestBody.fromString("second")));
        assertEquals(412, e.statusCode());
        assertEquals("PreconditionFailed", e.awsErrorDetails().errorCode());
        assertEquals(
                "first",
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("once")).asUtf8String());
    }

    @Test
    void racingCreateIfAbsentHasExactlyOneWinner() throws Exception {
        for (int round = 0; round < 5; round++) {
            exactlyOneWinner("race-" + round, b -> b.ifNoneMatch("*"));
        }
    }

    /** S3's conditional writes with If-Match: replace only the version read (an optimistic update). */
    @Test
    void ifMatchReplacesOnlyTheVersionNamed() {
        String v1 = env.s3()
                .putObject(b -> b.bucket(BUCKET).key("cas"), RequestBody.fromString("v1"))
                .eTag();
        String v2 = env.s3()
                .putObject(b -> b.bucket(BUCKET).key("cas").ifMatch(v1), RequestBody.fromString("v2"))
                .eTag();
        S3Exception stale = assertThrows(
                S3Exception.class,
                () -> env.s3().putObject(b -> b.bucket(BUCKET).key("cas").ifMatch(v1), RequestBody.fromString("lost")));
        assertEquals(412, stale.statusCode());
        assertEquals("PreconditionFailed", stale.awsErrorDetails().errorCode());
        assertEquals(
                "v2",
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("cas")).asUtf8String());
        env.s3().putObject(b -> b.bucket(BUCKET).key("cas").ifMatch("*"), RequestBody.fromString("any"));
        assertEquals(
                "any",
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("cas")).asUtf8String());
        S3Exception absent = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .putObject(b -> b.bucket(BUCKET).key("no-such").ifMatch(v2), RequestBody.fromString("x")));
        assertEquals(404, absent.statusCode());
        assertEquals("NoSuchKey", absent.awsErrorDetails().errorCode());
        assertThrows(
                S3Exception.class,
                () -> env.s3().headObject(b -> b.bucket(BUCKET).key("no-such")));
    }

    /** Writers that all read the same version and all send If-Match with it: exactly one replaces it. */
    @Test
    void racingIfMatchHasExactlyOneWinner() throws Exception {
        for (int round = 0; round < 5; round++) {
            String key = "cas-race-" + round;
            String read = env.s3()
                    .putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString("base"))
                    .eTag();
            exactlyOneWinner(key, b -> b.ifMatch(read));
        }
    }

    /** Eight PUTs of {@code key} under {@code condition} at once: one succeeds, the rest get 412, the winner's body is stored. */
    private static void exactlyOneWinner(
            String key, java.util.function.UnaryOperator<PutObjectRequest.Builder> condition) throws Exception {
        int racers = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        List<Future<String>> outcomes = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            String body = "writer-" + i;
            outcomes.add(pool.submit(() -> {
                go.await();
                try {
                    env.s3().putObject(b -> condition.apply(b.bucket(BUCKET).key(key)), RequestBody.fromString(body));
                    return body;
                } catch (S3Exception e) {
                    assertEquals(412, e.statusCode());
                    return null;
                }
            }));
        }
        go.countDown();
        List<String> winners = new ArrayList<>();
        for (Future<String> f : outcomes) if (f.get() != null) winners.add(f.get());
        pool.shutdown();
        assertEquals(1, winners.size(), key + ": " + winners);
        assertEquals(
                winners.get(0),
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String());
    }
}
