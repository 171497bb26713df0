package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.Digests;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListBucketsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** ListObjectVersions on unversioned buckets, and ListBuckets paged with max-buckets. */
class VersionsAndBucketPagingTest {

    static final String BUCKET = "versions";

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;
    /** key -> body */
    static final TreeMap<String, String> objects = new TreeMap<>();

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2);
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket(BUCKET));
        for (int i = 0; i < 12; i++) objects.put("d" + (i % 3) + "/f" + i, "body-" + "x".repeat(i));
        objects.put("top", "t");
        objects.put("with space", "s");
        objects.forEach((k, v) -> s3.putObject(b -> b.bucket(BUCKET).key(k), RequestBody.fromString(v)));
    }

    @AfterAll
    static void stop() {
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void everyObjectIsOneLatestNullVersion() {
        ListObjectVersionsResponse r = s3.listObjectVersions(b -> b.bucket(BUCKET));
        assertFalse(r.isTruncated());
        assertEquals(
                new ArrayList<>(objects.keySet()),
                r.versions().stream().map(ObjectVersion::key).toList());
        for (ObjectVersion v : r.versions()) {
            assertEquals("null", v.versionId());
            assertTrue(v.isLatest());
            assertEquals("\"" + Digests.md5Hex(objects.get(v.key()).getBytes()) + "\"", v.eTag());
            assertEquals(objects.get(v.key()).length(), v.size());
            assertEquals("STANDARD", v.storageClassAsString());
            assertNotNull(v.lastModified());
            assertNotNull(v.owner().id());
        }
        assertTrue(r.deleteMarkers().isEmpty());
    }

    @Test
    void prefixAndDelimiter() {
        ListObjectVersionsResponse r =
                s3.listObjectVersions(b -> b.bucket(BUCKET).delimiter("/"));
        assertEquals(
                List.of("d0/", "d1/", "d2/"),
                r.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
        assertEquals(
                List.of("top", "with space"),
                r.versions().stream().map(ObjectVersion::key).toList());
        ListObjectVersionsResponse d1 =
                s3.listObjectVersions(b -> b.bucket(BUCKET).prefix("d1/"));
        assertEquals(
                objects.subMap("d1/", "d10").keySet().stream().toList(),
                d1.versions().stream().map(ObjectVersion::key).toList());
    }

    @Test
    void pagesResumeFromTheMarkers() {
        List<String> seen = new ArrayList<>();
        String keyMarker = null, versionMarker = null;
        int pages = 0;
        while (true) {
            String km = keyMarker, vm = versionMarker;
            ListObjectVersionsResponse r = s3.listObjectVersions(
                    b -> b.bucket(BUCKET).maxKeys(5).keyMarker(km).versionIdMarker(vm));
            r.versions().forEach(v -> seen.add(v.key()));
            pages++;
            if (!r.isTruncated()) break;
            assertEquals(seen.get(seen.size() - 1), r.nextKeyMarker());
            assertEquals("null", r.nextVersionIdMarker());
            keyMarker = r.nextKeyMarker();
            versionMarker = r.nextVersionIdMarker();
        }
        assertEquals(new ArrayList<>(objects.keySet()), seen);
        assertEquals(3, pages);

        // The SDK's paginator, over common prefixes too.
        List<String> entries = new ArrayList<>();
        s3.listObjectVersionsPaginator(b -> b.bucket(BUCKET).delimiter("/").maxKeys(2))
                .forEach(p -> {
                    p.commonPrefixes().forEach(c -> entries.add(c.prefix()));
                    p.versions().forEach(v -> entries.add(v.key()));
                });
        assertEquals(
                List.of("d0/", "d1/", "d2/", "top", "with space"),
                entries.stream().sorted().toList());
    }

    @Test
    void urlEncodingAndMarkerErrors() {
        ListObjectVersionsResponse r =
                s3.listObjectVersions(b -> b.bucket(BUCKET).prefix("with").encodingType("url"));
        // The SDK decodes url-encoded keys for us.
        assertEquals(
                List.of("with space"),
                r.versions().stream().map(ObjectVersion::key).toList());
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> s3.listObjectVersions(b -> b.bucket(BUCKET).versionIdMarker("null")));
        assertEquals("InvalidArgument", e.awsErrorDetails().errorCode());
        S3Exception missing =
                assertThrows(S3Exception.class, () -> s3.listObjectVersions(b -> b.bucket("no-such-bucket")));
        assertEquals("NoSuchBucket", missing.awsErrorDetails().errorCode());
    }

    @Test
    void listBucketsPagesWithMaxBucketsAndPrefix() {
        for (int i = 0; i < 5; i++) {
            String name = "page-" + i;
            s3.createBucket(b -> b.bucket(name));
        }
        List<String> names = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            String t = token;
            ListBucketsResponse r =
                    s3.listBuckets(b -> b.maxBuckets(2).prefix("page-").continuationToken(t));
            assertTrue(r.buckets().size() <= 2);
            r.buckets().forEach(bk -> names.add(bk.name()));
            assertEquals("page-", r.prefix());
            token = r.continuationToken();
            pages++;
        } while (token != null);
        assertEquals(List.of("page-0", "page-1", "page-2", "page-3", "page-4"), names);
        assertEquals(3, pages);

        ListBucketsResponse all = s3.listBuckets();
        assertNull(all.continuationToken());
        assertTrue(all.buckets().stream().map(Bucket::name).toList().containsAll(List.of(BUCKET, "page-0", "page-4")));
        List<String> paged = new ArrayList<>();
        s3.listBucketsPaginator(b -> b.maxBuckets(1)).buckets().forEach(bk -> paged.add(bk.name()));
        assertEquals(all.buckets().stream().map(Bucket::name).toList(), paged);

        S3Exception e = assertThrows(S3Exception.class, () -> s3.listBuckets(b -> b.maxBuckets(0)));
        assertEquals("InvalidArgument", e.awsErrorDetails().errorCode());
    }
}
