package io.basalt.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.gateway.TestCluster;
import io.basalt.testkit.Digests;
import io.basalt.testkit.TestBytes;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.ObjectWriteResponse;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.DeleteError;
import io.minio.messages.DeleteObject;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** minio-java (MinIO's Java SDK, on OkHttp) against a real cluster. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MinioJavaTest {

    @TempDir
    static Path tmp;

    TestCluster cluster;
    MinioClient minio;

    @BeforeAll
    void start() throws Exception {
        cluster = CompatCluster.start(tmp.resolve("cluster"));
        minio = MinioClient.builder()
                .endpoint(cluster.endpoint())
                .credentials(TestCluster.ACCESS_KEY, TestCluster.SECRET_KEY)
                .region(TestCluster.REGION)
                .build();
        minio.makeBucket(MakeBucketArgs.builder().bucket("minio-java").build());
    }

    @AfterAll
    void stop() throws Exception {
        if (minio != null) minio.close();
        if (cluster != null) cluster.close();
    }

    static String unquoted(String etag) {
        return etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1) : etag;
    }

    ObjectWriteResponse put(String key, byte[] data, long partSize, Map<String, String> meta) throws Exception {
        return minio.putObject(PutObjectArgs.builder().bucket("minio-java").object(key).stream(
                        new ByteArrayInputStream(data), data.length, partSize)
                .contentType("application/octet-stream")
                .userMetadata(meta)
                .build());
    }

    byte[] get(GetObjectArgs args) throws Exception {
        try (GetObjectResponse in = minio.getObject(args)) {
            return in.readAllBytes();
        }
    }

    @Test
    void buckets() throws Exception {
        assertTrue(minio.bucketExists(
                BucketExistsArgs.builder().bucket("minio-java").build()));
        assertFalse(minio.bucketExists(
                BucketExistsArgs.builder().bucket("minio-java-missing").build()));
        minio.makeBucket(MakeBucketArgs.builder().bucket("minio-java-second").build());
        assertTrue(minio.bucketExists(
                BucketExistsArgs.builder().bucket("minio-java-second").build()));
        // re-creating an owned bucket: us-east-1 answers 200 (S3's legacy rule), other regions BucketAlreadyOwnedByYou
    }

    @Test
    void smallObject() throws Exception {
        byte[] data = TestBytes.random(10, 100_000);
        ObjectWriteResponse w = put("small.bin", data, -1, Map.of("owner", "compat"));
        assertEquals(Digests.md5Hex(data), unquoted(w.etag()), "PutObject ETag");

        StatObjectResponse st = minio.statObject(StatObjectArgs.builder()
                .bucket("minio-java")
                .object("small.bin")
                .build());
        assertEquals(data.length, st.size());
        assertEquals(Digests.md5Hex(data), unquoted(st.etag()), "StatObject ETag");
        assertEquals("compat", st.userMetadata().get("owner"), "user metadata " + st.userMetadata());

        assertArrayEquals(
                data,
                get(GetObjectArgs.builder()
                        .bucket("minio-java")
                        .object("small.bin")
                        .build()),
                "whole GET");
        assertArrayEquals(
                Arrays.copyOfRange(data, 1000, 1100),
                get(GetObjectArgs.builder()
                        .bucket("minio-java")
                        .object("small.bin")
                        .offset(1000L)
                        .length(100L)
                        .build()),
                "ranged GET");
        assertArrayEquals(
                Arrays.copyOfRange(data, 99_000, data.length),
                get(GetObjectArgs.builder()
                        .bucket("minio-java")
                        .object("small.bin")
                        .offset(99_000L)
                        .build()),
                "open-ended GET");

        ErrorResponseException e = assertThrows(
                ErrorResponseException.class,
                () -> minio.statObject(StatObjectArgs.builder()
                        .bucket("minio-java")
                        .object("missing")
                        .build()));
        assertEquals("NoSuchKey", e.errorResponse().code());
        ErrorResponseException g = assertThrows(
                ErrorResponseException.class,
                () -> get(GetObjectArgs.builder()
                        .bucket("minio-java")
                        .object("missing")
                        .build()));
        assertEquals("NoSuchKey", g.errorResponse().code());
    }

    @Test
    void multipartObject() throws Exception {
        int partSize = 16 << 20;
        byte[] data = TestBytes.random(11, 40 << 20);
        ObjectWriteResponse w = put("large.bin", data, partSize, Map.of());
        String etag = Digests.multipartEtag(data, partSize);
        assertEquals(etag, unquoted(w.etag()), "multipart ETag");
        StatObjectResponse st = minio.statObject(StatObjectArgs.builder()
                .bucket("minio-java")
                .object("large.bin")
                .build());
        assertEquals(data.length, st.size());
        assertEquals(etag, unquoted(st.etag()));
        assertArrayEquals(
                data,
                get(GetObjectArgs.builder()
                        .bucket("minio-java")
                        .object("large.bin")
                        .build()),
                "whole GET");
        long off = (16L << 20) - 1000;
        assertArrayEquals(
                Arrays.copyOfRange(data, (int) off, (int) off + 5000),
                get(GetObjectArgs.builder()
                        .bucket("minio-java")
                        .object("large.bin")
                        .offset(off)
                        .length(5000L)
                        .build()),
                "ranged GET across a part boundary");
    }

    List<String> list(ListObjectsArgs args) throws Exception {
        List<String> names = new ArrayList<>();
        for (Result<Item> r : minio.listObjects(args)) names.add(r.get().objectName());
        return names;
    }

    static List<String> sorted(List<String> l) {
        return l.stream().sorted().toList();
    }

    @Test
    void listing() throws Exception {
        List<String> keys = List.of("ls/a/1", "ls/a/2", "ls/b/x/1", "ls/c", "ls/d");
        for (String k : keys) put(k, k.getBytes(), -1, Map.of());
        assertEquals(
                keys,
                list(ListObjectsArgs.builder()
                        .bucket("minio-java")
                        .prefix("ls/")
                        .recursive(true)
                        .build()),
                "recursive V2");
        assertEquals(
                keys,
                list(ListObjectsArgs.builder()
                        .bucket("minio-java")
                        .prefix("ls/")
                        .recursive(true)
                        .maxKeys(2)
                        .build()),
                "recursive V2, pages of 2");
        // minio-java yields a page's objects before its common prefixes: compare sorted
        assertEquals(
                List.of("ls/a/", "ls/b/", "ls/c", "ls/d"),
                sorted(list(ListObjectsArgs.builder()
                        .bucket("minio-java")
                        .prefix("ls/")
                        .build())),
                "delimited V2");
        assertEquals(
                List.of("ls/a/", "ls/b/", "ls/c", "ls/d"),
                sorted(list(ListObjectsArgs.builder()
                        .bucket("minio-java")
                        .prefix("ls/")
                        .useApiVersion1(true)
                        .build())),
                "delimited V1");
        assertEquals(
                keys,
                list(ListObjectsArgs.builder()
                        .bucket("minio-java")
                        .prefix("ls/")
                        .recursive(true)
                        .useApiVersion1(true)
                        .maxKeys(2)
                        .build()),
                "recursive V1, pages of 2");
        for (Result<Item> r : minio.listObjects(
                ListObjectsArgs.builder().bucket("minio-java").prefix("ls/c").build())) {
            Item it = r.get();
            assertEquals(Digests.md5Hex("ls/c".getBytes()), unquoted(it.etag()));
            assertEquals(4, it.size());
        }
    }

    @Test
    void removeObject() throws Exception {
        put("rm/one", new byte[] {1}, -1, Map.of());
        minio.removeObject(
                RemoveObjectArgs.builder().bucket("minio-java").object("rm/one").build());
        ErrorResponseException e = assertThrows(
                ErrorResponseException.class,
                () -> minio.statObject(StatObjectArgs.builder()
                        .bucket("minio-java")
                        .object("rm/one")
                        .build()));
        assertEquals("NoSuchKey", e.errorResponse().code());
    }

    @Test
    void removeObjects() throws Exception {
        List<DeleteObject> objects = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            put("bulk/" + i, new byte[] {(byte) i}, -1, Map.of());
            objects.add(new DeleteObject("bulk/" + i));
        }
        objects.add(new DeleteObject("bulk/never-existed"));
        List<String> errors = new ArrayList<>();
        for (Result<DeleteError> r : minio.removeObjects(RemoveObjectsArgs.builder()
                .bucket("minio-java")
                .objects(objects)
                .build())) {
            DeleteError d = r.get();
            errors.add(d.objectName() + ": " + d.code() + " " + d.message());
        }
        assertEquals(List.of(), errors, "RemoveObjects errors");
        assertEquals(
                List.of(),
                list(ListObjectsArgs.builder()
                        .bucket("minio-java")
                        .prefix("bulk/")
                        .recursive(true)
                        .build()));
    }
}
