package io.basalt.gateway;

import static io.basalt.gateway.S3Errors.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.proto.meta.GarbageRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.DeleteMarkerEntry;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Bucket versioning through the SDK, on a real cluster: versions, delete markers, listing and paging. */
class VersioningTest {

    static final String BUCKET = "versioning";

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension(BUCKET);

    private static S3Client s3() {
        return env.s3();
    }

    private static void enable(String bucket, BucketVersioningStatus status) {
        s3().putBucketVersioning(b -> b.bucket(bucket).versioningConfiguration(v -> v.status(status)));
    }

    private static String put(String bucket, String key, String body) {
        return s3().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(body))
                .versionId();
    }

    private static String get(String bucket, String key, String versionId) {
        return s3().getObjectAsBytes(b -> b.bucket(bucket).key(key).versionId(versionId))
                .asUtf8String();
    }

    @Test
    void versionsStayReadableAndADeleteMarkerHidesTheKey() {
        String bucket = "versions-basic";
        s3().createBucket(b -> b.bucket(bucket));
        assertNull(put(bucket, "k", "before"), "an unversioned bucket gives no version id");
        enable(bucket, BucketVersioningStatus.ENABLED);
        assertEquals(
                BucketVersioningStatus.ENABLED,
                s3().getBucketVersioning(b -> b.bucket(bucket)).status());

        String v1 = put(bucket, "k", "one");
        String v2 = put(bucket, "k", "two");
        assertNotEquals(v1, v2);
        assertEquals("two", get(bucket, "k", null));
        assertEquals("one", get(bucket, "k", v1));
        assertEquals("before", get(bucket, "k", "null"), "what was there before versioning is the null version");
        assertEquals(v2, s3().headObject(b -> b.bucket(bucket).key("k")).versionId());

        DeleteObjectResponse del = s3().deleteObject(b -> b.bucket(bucket).key("k"));
        assertTrue(del.deleteMarker());
        String marker = del.versionId();
        S3Exception miss = fails(404, "NoSuchKey", () -> get(bucket, "k", null));
        assertEquals(
                "true",
                miss.awsErrorDetails()
                        .sdkHttpResponse()
                        .firstMatchingHeader("x-amz-delete-marker")
                        .orElse(null));
        fails(405, "MethodNotAllowed", () -> get(bucket, "k", marker));
        assertEquals("one", get(bucket, "k", v1), "older versions stay readable behind the marker");
        assertTrue(s3().listObjectsV2(b -> b.bucket(bucket)).contents().isEmpty(), "the key is hidden from listings");

        // removing the marker brings the latest version back
        s3().deleteObject(b -> b.bucket(bucket).key("k").versionId(marker));
        assertEquals("two", get(bucket, "k", null));
        // removing the current version for good makes the next newest current
        s3().deleteObject(b -> b.bucket(bucket).key("k").versionId(v2));
        assertEquals("one", get(bucket, "k", null));
        fails(404, "NoSuchVersion", () -> get(bucket, "k", v2));

        ListObjectVersionsResponse all = s3().listObjectVersions(b -> b.bucket(bucket));
        assertEquals(
                List.of(v1, "null"),
                all.versions().stream().map(ObjectVersion::versionId).toList());
        assertEquals(
                List.of(true, false),
                all.versions().stream().map(ObjectVersion::isLatest).toList());
        assertTrue(all.deleteMarkers().isEmpty());

        // a versioned bucket is empty only without versions
        s3().deleteObject(b -> b.bucket(bucket).key("k"));
        assertTrue(s3().listObjectsV2(b -> b.bucket(bucket)).contents().isEmpty());
        fails(409, "BucketNotEmpty", () -> s3().deleteBucket(b -> b.bucket(bucket)));
        for (ObjectVersion v : s3().listObjectVersions(b -> b.bucket(bucket)).versions()) {
            s3().deleteObject(b -> b.bucket(bucket).key(v.key()).versionId(v.versionId()));
        }
        for (DeleteMarkerEntry m :
                s3().listObjectVersions(b -> b.bucket(bucket)).deleteMarkers()) {
            s3().deleteObject(b -> b.bucket(bucket).key(m.key()).versionId(m.versionId()));
        }
        s3().deleteBucket(b -> b.bucket(bucket));
    }

    @Test
    void suspendedWritesReplaceTheNullVersionAndKeepTheOthers() {
        String bucket = "versions-suspended";
        s3().createBucket(b -> b.bucket(bucket));
        enable(bucket, BucketVersioningStatus.ENABLED);
        String v1 = put(bucket, "k", "one");
        enable(bucket, BucketVersioningStatus.SUSPENDED);
        assertEquals("null", put(bucket, "k", "n1"));
        assertEquals("null", put(bucket, "k", "n2"));
        assertEquals("n2", get(bucket, "k", "null"));
        assertEquals("one", get(bucket, "k", v1));
        List<String> ids = s3().listObjectVersions(b -> b.bucket(bucket)).versions().stream()
                .map(ObjectVersion::versionId)
                .toList();
        assertEquals(List.of("null", v1), ids, "one null version, replaced in place");
        // a delete under Suspended is a null delete marker, which takes the null version's place
        DeleteObjectResponse del = s3().deleteObject(b -> b.bucket(bucket).key("k"));
        assertTrue(del.deleteMarker());
        assertEquals("null", del.versionId());
        ListObjectVersionsResponse after = s3().listObjectVersions(b -> b.bucket(bucket));
        assertEquals(
                List.of(v1),
                after.versions().stream().map(ObjectVersion::versionId).toList());
        assertEquals(
                List.of("null"),
                after.deleteMarkers().stream().map(DeleteMarkerEntry::versionId).toList());
        assertTrue(after.deleteMarkers().get(0).isLatest());
    }

    @Test
    void listingPagesThroughVersionsWithMarkersAndPrefixes() {
        String bucket = "versions-paging";
        s3().createBucket(b -> b.bucket(bucket));
        enable(bucket, BucketVersioningStatus.ENABLED);
        List<String> expected = new ArrayList<>(); // key@version, in S3's order: keys ascending, newest first
        for (String key : List.of("a", "b/1", "b/2", "c")) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) ids.add(0, put(bucket, key, key + i));
            if (key.equals("c"))
                ids.add(0, s3().deleteObject(b -> b.bucket(bucket).key("c")).versionId());
            for (String id : ids) expected.add(key + "@" + id);
        }
        for (int pageSize : new int[] {1, 2, 5, 100}) {
            List<String> seen = new ArrayList<>();
            String keyMarker = null, versionMarker = null;
            while (true) {
                String km = keyMarker, vm = versionMarker;
                ListObjectVersionsResponse page = s3().listObjectVersions(b ->
                        b.bucket(bucket).maxKeys(pageSize).keyMarker(km).versionIdMarker(vm));
                List<String> entries = new ArrayList<>();
                page.versions().forEach(v -> entries.add(v.key() + "@" + v.versionId() + "@" + v.lastModified()));
                page.deleteMarkers().forEach(m -> entries.add(m.key() + "@" + m.versionId() + "@" + m.lastModified()));
                // the SDK splits versions from markers: put them back in listing order (key, then newest first)
                entries.sort((x, y) -> {
                    String[] a = x.split("@"), b = y.split("@");
                    int byKey = a[0].compareTo(b[0]);
                    return byKey != 0 ? byKey : b[1].compareTo(a[1]);
                });
                entries.forEach(e -> seen.add(e.substring(0, e.lastIndexOf('@'))));
                assertTrue(entries.size() <= pageSize);
                if (!page.isTruncated()) break;
                keyMarker = page.nextKeyMarker();
                versionMarker = page.nextVersionIdMarker();
            }
            assertEquals(expected, seen, "page size " + pageSize);
        }
        ListObjectVersionsResponse rolled =
                s3().listObjectVersions(b -> b.bucket(bucket).delimiter("/"));
        assertEquals(
                List.of("b/"),
                rolled.commonPrefixes().stream().map(p -> p.prefix()).toList());
        assertEquals(
                Set.of("a", "c"),
                rolled.versions().stream().map(ObjectVersion::key).collect(Collectors.toSet()));
        assertEquals(1, rolled.deleteMarkers().size());
        assertTrue(rolled.deleteMarkers().get(0).isLatest());
        assertFalse(rolled.versions().stream().filter(v -> v.key().equals("c")).anyMatch(ObjectVersion::isLatest));
    }

    @Test
    void aCopyReadsAnyVersionAndOnlyRemovedVersionsBecomeGarbage() throws Exception {
        String bucket = "versions-copy";
        s3().createBucket(b -> b.bucket(bucket));
        enable(bucket, BucketVersioningStatus.ENABLED);
        String v1 = put(bucket, "src", "first");
        put(bucket, "src", "second");
        var copy = s3().copyObject(b -> b.sourceBucket(bucket)
                .sourceKey("src")
                .sourceVersionId(v1)
                .destinationBucket(bucket)
                .destinationKey("dst"));
        assertEquals(v1, copy.copySourceVersionId());
        assertEquals("first", get(bucket, "dst", null));
        assertEquals(
                copy.versionId(),
                s3().headObject(b -> b.bucket(bucket).key("dst")).versionId());

        try (EtcdMetadataStore meta = env.cluster().metadataStore()) {
            Set<String> before = garbage(meta);
            put(bucket, "src", "third"); // the second becomes noncurrent: no garbage
            s3().deleteObject(b -> b.bucket(bucket).key("src")); // a marker: no garbage
            assertEquals(before, garbage(meta));
            s3().deleteObject(b -> b.bucket(bucket).key("src").versionId(v1)); // gone for good: its shards go
            assertEquals(1, garbage(meta).size() - before.size());
        }
    }

    private static Set<String> garbage(EtcdMetadataStore meta) throws Exception {
        return meta
                .client()
                .getKVClient()
                .get(
                        io.etcd.jetcd.ByteSequence.from("/basalt/gc/", java.nio.charset.StandardCharsets.UTF_8),
                        io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
                .get()
                .getKvs()
                .stream()
                .map(kv -> {
                    try {
                        return GarbageRecord.parseFrom(kv.getValue().getBytes())
                                .getSegments(0)
                                .getShardSet();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                })
                .collect(Collectors.toSet());
    }
}
