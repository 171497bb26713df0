package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.testkit.Digests;
import io.basalt.testkit.TestBytes;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** PUT, GET, HEAD, ranged GET and DELETE through the real gateway, storage nodes and etcd. */
class ObjectsTest {

    static final int MIB = 1 << 20;
    static final String BUCKET = "objects";

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension(BUCKET);

    @ParameterizedTest
    @ValueSource(ints = {0, 1, MIB - 1, MIB, MIB + 1, 3 * MIB + 7})
    void roundTripsObjectsOfEverySize(int size) {
        byte[] data = TestBytes.random(size, size);
        String key = "size/" + size;
        String etag = env.s3()
                .putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(data))
                .eTag();
        assertEquals("\"" + Digests.md5Hex(data) + "\"", etag);

        ResponseBytes<GetObjectResponse> got =
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key(key));
        assertArrayEquals(data, got.asByteArray());
        assertEquals(etag, got.response().eTag());

        HeadObjectResponse head = env.s3().headObject(b -> b.bucket(BUCKET).key(key));
        assertEquals(size, head.contentLength());
        assertEquals(etag, head.eTag());
    }

    @Test
    void roundTrips100MiBStreamed() throws Exception {
        int size = 100 * MIB;
        byte[] data = TestBytes.random(100, size);
        env.s3().putObject(b -> b.bucket(BUCKET).key("big/100mib"), RequestBody.fromBytes(data));
        try (ResponseInputStream<GetObjectResponse> in =
                env.s3().getObject(b -> b.bucket(BUCKET).key("big/100mib"))) {
            assertEquals(Digests.sha256Hex(data), Digests.sha256Hex(in));
        }
    }

    @Test
    void rangedReadsAtStripeAndChunkBoundaries() {
        int size = 3 * MIB + 5;
        byte[] data = TestBytes.random(7, size);
        env.s3().putObject(b -> b.bucket(BUCKET).key("ranges"), RequestBody.fromBytes(data));
        int chunk = MIB / 4; // 4+2 with 1 MiB stripes: 256 KiB per shard chunk
        long[][] ranges = {
            {0, 0},
            {0, 99},
            {chunk - 1, chunk},
            {chunk - 3, 2 * chunk + 3},
            {MIB - 1, MIB},
            {MIB, 2 * MIB - 1},
            {MIB - 10, 2 * MIB + 10},
            {3 * MIB - 1, 3 * MIB + 4},
            {3 * MIB, 3 * MIB + 4},
            {size - 1, size - 1},
            {0, size - 1},
            {12345, 3 * MIB + 2}
        };
        for (long[] r : ranges) {
            byte[] got = env.s3()
                    .getObjectAsBytes(b -> b.bucket(BUCKET).key("ranges").range("bytes=" + r[0] + "-" + r[1]))
                    .asByteArray();
            assertArrayEquals(Arrays.copyOfRange(data, (int) r[0], (int) r[1] + 1), got, "range " + r[0] + "-" + r[1]);
        }
        ResponseBytes<GetObjectResponse> tail =
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("ranges").range("bytes=-100"));
        assertArrayEquals(Arrays.copyOfRange(data, size - 100, size), tail.asByteArray());
        assertEquals(
                "bytes " + (size - 100) + "-" + (size - 1) + "/" + size,
                tail.response().contentRange());
        byte[] open = env.s3()
                .getObjectAsBytes(b -> b.bucket(BUCKET).key("ranges").range("bytes=" + (2 * MIB + 1) + "-"))
                .asByteArray();
        assertArrayEquals(Arrays.copyOfRange(data, 2 * MIB + 1, size), open);
        byte[] clipped = env.s3()
                .getObjectAsBytes(
                        b -> b.bucket(BUCKET).key("ranges").range("bytes=" + (size - 2) + "-" + (size + 1000)))
                .asByteArray();
        assertArrayEquals(Arrays.copyOfRange(data, size - 2, size), clipped);

        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .getObjectAsBytes(b -> b.bucket(BUCKET).key("ranges").range("bytes=" + size + "-")));
        assertEquals(416, e.statusCode());
        assertEquals("InvalidRange", e.awsErrorDetails().errorCode());
    }

    @Test
    void overwriteServesTheNewVersion() {
        env.s3().putObject(b -> b.bucket(BUCKET).key("over"), RequestBody.fromString("first version"));
        env.s3().putObject(b -> b.bucket(BUCKET).key("over"), RequestBody.fromString("second"));
        assertEquals(
                "second",
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("over")).asUtf8String());
    }

    @Test
    void deleteRemovesTheKeyAndIsIdempotent() {
        env.s3().putObject(b -> b.bucket(BUCKET).key("gone"), RequestBody.fromString("x"));
        env.s3().deleteObject(b -> b.bucket(BUCKET).key("gone"));
        assertThrows(
                NoSuchKeyException.class,
                () -> env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("gone")));
        S3Exception head = assertThrows(
                S3Exception.class,
                () -> env.s3().headObject(b -> b.bucket(BUCKET).key("gone")));
        assertEquals(404, head.statusCode());
        env.s3().deleteObject(b -> b.bucket(BUCKET).key("gone")); // 204 again
    }

    @Test
    void deleteInAMissingBucketIsNoSuchBucket() {
        // the store reads the bucket with the key: not found there is NoSuchBucket, not an idempotent 204
        for (String version : new String[] {null, "null"}) {
            S3Exception e = assertThrows(
                    S3Exception.class,
                    () -> env.s3()
                            .deleteObject(
                                    b -> b.bucket("no-such-bucket").key("k").versionId(version)));
            assertEquals(404, e.statusCode());
            assertEquals("NoSuchBucket", e.awsErrorDetails().errorCode());
        }
    }

    @Test
    void keepsMetadataAndContentHeaders() {
        env.s3()
                .putObject(
                        b -> b.bucket(BUCKET)
                                .key("meta")
                                .contentType("text/plain; charset=utf-8")
                                .cacheControl("max-age=60")
                                .contentDisposition("attachment")
                                .metadata(Map.of("color", "blue", "note", "ünïcode")),
                        RequestBody.fromString("hello"));
        HeadObjectResponse h = env.s3().headObject(b -> b.bucket(BUCKET).key("meta"));
        assertEquals("text/plain; charset=utf-8", h.contentType());
        assertEquals("max-age=60", h.cacheControl());
        assertEquals("attachment", h.contentDisposition());
        assertEquals("blue", h.metadata().get("color"));
        assertEquals("ünïcode", h.metadata().get("note"));
    }

    @Test
    void keysUpTo1024BytesAreAccepted() {
        String longest = "k/" + "é".repeat(511); // 2 + 1022 = 1024 UTF-8 bytes
        env.s3().putObject(b -> b.bucket(BUCKET).key(longest), RequestBody.fromString("long"));
        assertEquals(
                "long",
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key(longest)).asUtf8String());
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3().putObject(b -> b.bucket(BUCKET).key(longest + "x"), RequestBody.fromString("too long")));
        assertEquals(400, e.statusCode());
        assertEquals("KeyTooLongError", e.awsErrorDetails().errorCode());
    }

    @Test
    void keysWithAwkwardCharacters() {
        for (String key : new String[] {"a b+c", "ünïcødé/文件", "x%y&z=w?q", "dots/../still/a/key", "tilde~star*"}) {
            try {
                env.s3().putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString(key));
            } catch (RuntimeException e) {
                throw new AssertionError("PUT " + key, e);
            }
            assertEquals(
                    key,
                    env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String(),
                    key);
        }
    }
}
