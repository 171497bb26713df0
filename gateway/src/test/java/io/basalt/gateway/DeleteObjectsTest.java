package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.DeletedObject;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** DeleteObjects: verbose and quiet answers, the "null" version, per-key errors and limits. */
class DeleteObjectsTest {

    static final String BUCKET = "batch-delete";

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension(BUCKET);

    private static void put(String key) {
        env.s3().putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString(key));
    }

    private static boolean exists(String key) {
        try {
            env.s3().headObject(b -> b.bucket(BUCKET).key(key));
            return true;
        } catch (S3Exception e) {
            assertEquals(404, e.statusCode());
            return false;
        }
    }

    private static ObjectIdentifier id(String key) {
        return ObjectIdentifier.builder().key(key).build();
    }

    @Test
    void verboseListsEveryKeyIncludingAbsentOnes() {
        List<String> keys = List.of("v/a", "v/b & <c>", "v/ünïcödé ", "v/keep");
        keys.forEach(DeleteObjectsTest::put);
        DeleteObjectsResponse r = env.s3()
                .deleteObjects(b -> b.bucket(BUCKET)
                        .delete(d -> d.objects(id("v/a"), id("v/b & <c>"), id("v/ünïcödé "), id("v/never-existed"))));
        assertEquals(
                Set.of("v/a", "v/b & <c>", "v/ünïcödé ", "v/never-existed"),
                r.deleted().stream().map(DeletedObject::key).collect(Collectors.toSet()));
        assertTrue(r.errors().isEmpty());
        assertFalse(exists("v/a"));
        assertFalse(exists("v/b & <c>"));
        assertFalse(exists("v/ünïcödé "));
        assertArrayEquals(
                "v/keep".getBytes(),
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("v/keep")).asByteArray());
    }

    @Test
    void quietListsOnlyErrors() {
        put("q/1");
        put("q/2");
        DeleteObjectsResponse r = env.s3()
                .deleteObjects(b -> b.bucket(BUCKET)
                        .delete(d -> d.quiet(true)
                                .objects(
                                        id("q/1"),
                                        ObjectIdentifier.builder()
                                                .key("q/2")
                                                .versionId("not-a-version")
                                                .build())));
        assertTrue(r.deleted().isEmpty());
        assertEquals(1, r.errors().size());
        S3Error e = r.errors().get(0);
        assertEquals("q/2", e.key());
        assertEquals("NoSuchVersion", e.code());
        assertEquals("not-a-version", e.versionId());
        assertFalse(exists("q/1"));
        assertTrue(exists("q/2"));
    }

    @Test
    void theNullVersionIsTheObject() {
        put("n/1");
        DeleteObjectsResponse r = env.s3()
                .deleteObjects(b -> b.bucket(BUCKET)
                        .delete(d -> d.objects(ObjectIdentifier.builder()
                                .key("n/1")
                                .versionId("null")
                                .build())));
        assertEquals(1, r.deleted().size());
        assertEquals("n/1", r.deleted().get(0).key());
        assertEquals("null", r.deleted().get(0).versionId());
        assertFalse(exists("n/1"));
    }

    @Test
    void thousandKeysAtMost() {
        List<ObjectIdentifier> ids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) ids.add(id("many/" + i));
        put("many/7");
        DeleteObjectsResponse ok = env.s3().deleteObjects(b -> b.bucket(BUCKET).delete(d -> d.objects(ids)));
        assertEquals(1000, ok.deleted().size());
        assertFalse(exists("many/7"));

        put("many/8");
        ids.add(id("many/1000"));
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3().deleteObjects(b -> b.bucket(BUCKET).delete(d -> d.objects(ids))));
        assertEquals(400, e.statusCode());
        assertEquals("MalformedXML", e.awsErrorDetails().errorCode());
        assertTrue(exists("many/8"), "a refused request deletes nothing");
    }

    @Test
    void manyExistingKeysAreAllDeletedAndAnsweredInRequestOrder() {
        List<ObjectIdentifier> ids = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            String key = "batch/" + i;
            if (i % 3 != 0) put(key); // every third key is absent: still "Deleted"
            ids.add(id(key));
        }
        long start = System.nanoTime();
        DeleteObjectsResponse r = env.s3().deleteObjects(b -> b.bucket(BUCKET).delete(d -> d.objects(ids)));
        System.out.printf("DeleteObjects of 120 keys (80 present): %d ms%n", (System.nanoTime() - start) / 1_000_000);
        assertEquals(
                ids.stream().map(ObjectIdentifier::key).toList(),
                r.deleted().stream().map(d -> d.key()).toList());
        assertTrue(r.errors().isEmpty());
        assertEquals(
                0,
                env.s3().listObjectsV2(b -> b.bucket(BUCKET).prefix("batch/")).keyCount());
    }

    @Test
    void missingBucket() {
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3().deleteObjects(b -> b.bucket("no-such-bucket").delete(d -> d.objects(id("a")))));
        assertEquals(404, e.statusCode());
        assertEquals("NoSuchBucket", e.awsErrorDetails().errorCode());
    }
}
