package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Bucket operations and listings over a few hundred keys, checked against a model. */
class ListingAndBucketsTest {

    static final String BUCKET = "listing";

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;
    static final TreeSet<String> keys = new TreeSet<>();

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2);
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket(BUCKET));
        for (int i = 0; i < 300; i++) {
            keys.add("dir" + (i % 5) + "/sub" + (i % 7) + "/file" + i);
        }
        keys.add("top-level");
        keys.add("dir0/direct");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> puts = new ArrayList<>();
        for (String k : keys) {
            puts.add(pool.submit(() -> s3.putObject(b -> b.bucket(BUCKET).key(k), RequestBody.fromString(k))));
        }
        for (Future<?> f : puts) f.get();
        pool.shutdown();
    }

    @AfterAll
    static void stop() {
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void listsEveryKeyInOrderAcrossPages() {
        List<String> seen = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            String t = token;
            ListObjectsV2Response r =
                    s3.listObjectsV2(b -> b.bucket(BUCKET).maxKeys(37).continuationToken(t));
            r.contents().forEach(o -> seen.add(o.key()));
            if (r.isTruncated()) assertNotNull(r.nextContinuationToken(), "a truncated page carries its token");
            assertTrue(r.keyCount() <= 37);
            token = r.isTruncated() ? r.nextContinuationToken() : null;
            pages++;
        } while (token != null);
        assertEquals(new ArrayList<>(keys), seen);
        assertEquals((keys.size() + 36) / 37, pages);
    }

    @Test
    void delimiterRollsUpCommonPrefixes() {
        ListObjectsV2Response root = s3.listObjectsV2(b -> b.bucket(BUCKET).delimiter("/"));
        assertEquals(
                List.of("dir0/", "dir1/", "dir2/", "dir3/", "dir4/"),
                root.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
        assertEquals(
                List.of("top-level"),
                root.contents().stream().map(S3Object::key).toList());

        ListObjectsV2Response dir0 =
                s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("dir0/").delimiter("/"));
        assertEquals(
                List.of("dir0/direct"),
                dir0.contents().stream().map(S3Object::key).toList());
        List<String> expected = keys.stream()
                .filter(k -> k.startsWith("dir0/sub"))
                .map(k -> k.substring(0, k.indexOf('/', 5) + 1))
                .distinct()
                .toList();
        assertEquals(
                expected,
                dir0.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
    }

    /** An empty delimiter is no delimiter: S3 lists as without one and leaves the element out (V2, V1, versions). */
    @Test
    void anEmptyDelimiterIsLeftOutOfTheAnswer() throws Exception {
        for (String query : new String[] {
            "list-type=2&delimiter=&max-keys=3", "delimiter=&max-keys=3", "versions&delimiter=&max-keys=3"
        }) {
            var r = SignedHttp.send("GET", java.net.URI.create(cluster.endpoint() + "/" + BUCKET + "?" + query));
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(!r.body().contains("<Delimiter"), query + ": " + r.body());
            assertTrue(!r.body().contains("<CommonPrefixes>"), query + ": " + r.body());
            assertTrue(r.body().contains("<Key>dir0/direct</Key>"), query + ": " + r.body());
        }
    }

    @Test
    void commonPrefixesPageWithTokens() {
        List<String> prefixes = new ArrayList<>();
        String token = null;
        do {
            String t = token;
            ListObjectsV2Response r = s3.listObjectsV2(
                    b -> b.bucket(BUCKET).delimiter("/").maxKeys(2).continuationToken(t));
            r.commonPrefixes().forEach(p -> prefixes.add(p.prefix()));
            r.contents().forEach(o -> prefixes.add(o.key()));
            token = r.isTruncated() ? r.nextContinuationToken() : null;
        } while (token != null);
        assertEquals(List.of("dir0/", "dir1/", "dir2/", "dir3/", "dir4/", "top-level"), prefixes);
    }

    @Test
    void prefixStartAfterAndMaxKeys() {
        ListObjectsV2Response r =
                s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("dir3/sub4/").startAfter("dir3/sub4/file200"));
        List<String> expected = keys.stream()
                .filter(k -> k.startsWith("dir3/sub4/") && k.compareTo("dir3/sub4/file200") > 0)
                .toList();
        assertEquals(expected, r.contents().stream().map(S3Object::key).toList());
        assertFalse(r.isTruncated());

        ListObjectsV2Response none = s3.listObjectsV2(b -> b.bucket(BUCKET).maxKeys(0));
        assertEquals(0, none.keyCount());
        ListObjectsV2Response missing = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix("nope/"));
        assertTrue(missing.contents().isEmpty());
    }

    @Test
    void listObjectsV1WithMarker() {
        ListObjectsResponse first = s3.listObjects(b -> b.bucket(BUCKET).maxKeys(10));
        assertTrue(first.isTruncated());
        String last = first.contents().get(9).key();
        ListObjectsResponse second =
                s3.listObjects(b -> b.bucket(BUCKET).maxKeys(10).marker(last));
        assertEquals(keys.higher(last), second.contents().get(0).key());
    }

    /** GetBucketLocation, HeadBucket and ListBuckets name the LocationConstraint a bucket was created with. */
    @Test
    void aBucketKeepsTheLocationItWasCreatedWith() {
        s3.createBucket(b -> b.bucket("in-eu").createBucketConfiguration(c -> c.locationConstraint("eu-west-1")));
        s3.createBucket(b -> b.bucket("in-default"));
        assertEquals("eu-west-1", s3.getBucketLocation(b -> b.bucket("in-eu")).locationConstraintAsString());
        assertEquals("", s3.getBucketLocation(b -> b.bucket("in-default")).locationConstraintAsString());
        assertEquals(
                "eu-west-1",
                s3.headBucket(b -> b.bucket("in-eu"))
                        .sdkHttpResponse()
                        .firstMatchingHeader("x-amz-bucket-region")
                        .orElseThrow());
        assertEquals(
                "eu-west-1",
                s3.listBuckets().buckets().stream()
                        .filter(x -> x.name().equals("in-eu"))
                        .findFirst()
                        .orElseThrow()
                        .bucketRegion());
        s3.deleteBucket(b -> b.bucket("in-eu"));
        s3.deleteBucket(b -> b.bucket("in-default"));
    }

    @Test
    void bucketLifecycleAndErrors() {
        s3.createBucket(b -> b.bucket("scratch"));
        s3.createBucket(b -> b.bucket("scratch")); // already yours: succeeds, as in us-east-1
        s3.headBucket(b -> b.bucket("scratch"));
        assertTrue(s3.listBuckets().buckets().stream().anyMatch(x -> x.name().equals("scratch")));
        s3.putObject(b -> b.bucket("scratch").key("k"), RequestBody.fromString("v"));

        S3Exception notEmpty = assertThrows(S3Exception.class, () -> s3.deleteBucket(b -> b.bucket("scratch")));
        assertEquals(409, notEmpty.statusCode());
        assertEquals("BucketNotEmpty", notEmpty.awsErrorDetails().errorCode());

        s3.deleteObject(b -> b.bucket("scratch").key("k"));
        s3.deleteBucket(b -> b.bucket("scratch"));
        S3Exception gone = assertThrows(S3Exception.class, () -> s3.headBucket(b -> b.bucket("scratch")));
        assertEquals(404, gone.statusCode());
        S3Exception noBucket = assertThrows(S3Exception.class, () -> s3.listObjectsV2(b -> b.bucket("scratch")));
        assertEquals("NoSuchBucket", noBucket.awsErrorDetails().errorCode());
        // the gateway reads the bucket only for an empty or refused listing: the missing bucket is still the error
        S3Exception noBucketV1 = assertThrows(S3Exception.class, () -> s3.listObjects(b -> b.bucket("scratch")));
        assertEquals("NoSuchBucket", noBucketV1.awsErrorDetails().errorCode());
        S3Exception badTokenNoBucket = assertThrows(
                S3Exception.class,
                () -> s3.listObjectsV2(b -> b.bucket("scratch").continuationToken("%%%")));
        assertEquals("NoSuchBucket", badTokenNoBucket.awsErrorDetails().errorCode());
        S3Exception badToken = assertThrows(
                S3Exception.class, () -> s3.listObjectsV2(b -> b.bucket(BUCKET).continuationToken("%%%")));
        assertEquals("InvalidArgument", badToken.awsErrorDetails().errorCode());
        S3Exception putNoBucket = assertThrows(
                S3Exception.class, () -> s3.putObject(b -> b.bucket("scratch").key("k"), RequestBody.fromString("v")));
        assertEquals("NoSuchBucket", putNoBucket.awsErrorDetails().errorCode());
    }
}
