package io.basalt.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.gateway.TestCluster;
import io.basalt.testkit.Digests;
import io.basalt.testkit.TestBytes;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
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
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;
import software.amazon.awssdk.transfer.s3.S3TransferManager;
import software.amazon.awssdk.transfer.s3.model.CompletedFileDownload;
import software.amazon.awssdk.transfer.s3.model.CompletedFileUpload;

/**
 * AWS SDK for Java v2 as users build it: path-style, static credentials, and the SDK's default
 * checksum settings (request checksums WHEN_SUPPORTED, response validation WHEN_SUPPORTED).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class AwsSdkJavaV2Test {

    @TempDir
    static Path tmp;

    TestCluster cluster;
    S3Client s3;

    @BeforeAll
    void start() throws Exception {
        cluster = CompatCluster.start(tmp.resolve("cluster"));
        s3 = S3Client.builder()
                .endpointOverride(URI.create(cluster.endpoint()))
                .region(Region.US_EAST_1)
                .credentialsProvider(credentials())
                .forcePathStyle(true)
                .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofMinutes(5)))
                .build();
        s3.createBucket(b -> b.bucket("sdk"));
    }

    @AfterAll
    void stop() {
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(
                AwsBasicCredentials.create(TestCluster.ACCESS_KEY, TestCluster.SECRET_KEY));
    }

    static String quoted(String s) {
        return "\"" + s + "\"";
    }

    @Test
    void putGetHead() {
        byte[] data = TestBytes.random(1, 1_234_567);
        PutObjectResponse put = s3.putObject(
                b -> b.bucket("sdk")
                        .key("dir/obj.bin")
                        .contentType("application/x-test")
                        .metadata(Map.of("color", "blue")),
                RequestBody.fromBytes(data));
        assertEquals(quoted(Digests.md5Hex(data)), put.eTag(), "PutObject ETag");
        // the SDK's default (WHEN_SUPPORTED) sends a CRC32 trailer; S3 echoes the checksum it stored
        assertNotNull(put.checksumCRC32(), "PutObject x-amz-checksum-crc32 in the response");

        ResponseBytes<GetObjectResponse> got =
                s3.getObjectAsBytes(b -> b.bucket("sdk").key("dir/obj.bin"));
        assertArrayEquals(data, got.asByteArray(), "GetObject bytes");
        assertEquals(put.eTag(), got.response().eTag(), "GetObject ETag");
        assertEquals(data.length, got.response().contentLength());
        assertEquals("application/x-test", got.response().contentType());

        HeadObjectResponse head = s3.headObject(b -> b.bucket("sdk").key("dir/obj.bin"));
        assertEquals(put.eTag(), head.eTag(), "HeadObject ETag");
        assertEquals(data.length, head.contentLength());
        assertEquals(Map.of("color", "blue"), head.metadata());

        byte[] empty = new byte[0];
        PutObjectResponse putEmpty = s3.putObject(b -> b.bucket("sdk").key("empty"), RequestBody.fromBytes(empty));
        assertEquals(quoted(Digests.md5Hex(empty)), putEmpty.eTag());
        assertEquals(0, s3.getObjectAsBytes(b -> b.bucket("sdk").key("empty")).asByteArray().length);
    }

    @Test
    void rangedGet() {
        byte[] data = TestBytes.random(2, 3 * (1 << 20) + 17);
        s3.putObject(b -> b.bucket("sdk").key("range.bin"), RequestBody.fromBytes(data));

        ResponseBytes<GetObjectResponse> mid =
                s3.getObjectAsBytes(b -> b.bucket("sdk").key("range.bin").range("bytes=1048570-2097160"));
        assertArrayEquals(Arrays.copyOfRange(data, 1048570, 2097161), mid.asByteArray(), "closed range");
        assertEquals("bytes 1048570-2097160/" + data.length, mid.response().contentRange());

        ResponseBytes<GetObjectResponse> suffix =
                s3.getObjectAsBytes(b -> b.bucket("sdk").key("range.bin").range("bytes=-100"));
        assertArrayEquals(
                Arrays.copyOfRange(data, data.length - 100, data.length), suffix.asByteArray(), "suffix range");

        ResponseBytes<GetObjectResponse> open =
                s3.getObjectAsBytes(b -> b.bucket("sdk").key("range.bin").range("bytes=3145000-"));
        assertArrayEquals(Arrays.copyOfRange(data, 3145000, data.length), open.asByteArray(), "open range");

        S3Exception e = assertThrows(
                S3Exception.class,
                () -> s3.getObjectAsBytes(b -> b.bucket("sdk").key("range.bin").range("bytes=" + data.length + "-")));
        assertEquals(416, e.statusCode());
        assertEquals("InvalidRange", e.awsErrorDetails().errorCode());
    }

    @Test
    void listObjectsV2() {
        List<String> keys = List.of("list/a/1", "list/a/2", "list/b/1", "list/c", "list/d", "list/e");
        for (String k : keys) s3.putObject(b -> b.bucket("sdk").key(k), RequestBody.fromString(k));

        List<String> all = new ArrayList<>();
        int pages = 0;
        for (ListObjectsV2Response page :
                s3.listObjectsV2Paginator(b -> b.bucket("sdk").prefix("list/").maxKeys(2))) {
            pages++;
            page.contents().forEach(o -> all.add(o.key()));
        }
        assertEquals(keys, all, "paginated recursive listing");
        assertEquals(3, pages, "pages of 2 keys");

        ListObjectsV2Response delimited =
                s3.listObjectsV2(b -> b.bucket("sdk").prefix("list/").delimiter("/"));
        assertEquals(
                List.of("list/a/", "list/b/"),
                delimited.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
        assertEquals(
                List.of("list/c", "list/d", "list/e"),
                delimited.contents().stream().map(S3Object::key).toList());
        for (S3Object o : delimited.contents()) {
            assertEquals(quoted(Digests.md5Hex(o.key().getBytes())), o.eTag(), "listed ETag of " + o.key());
            assertEquals(o.key().length(), o.size());
        }
    }

    @Test
    void deleteAndErrors() {
        s3.putObject(b -> b.bucket("sdk").key("gone"), RequestBody.fromString("x"));
        s3.deleteObject(b -> b.bucket("sdk").key("gone"));
        NoSuchKeyException get = assertThrows(
                NoSuchKeyException.class,
                () -> s3.getObjectAsBytes(b -> b.bucket("sdk").key("gone")));
        assertEquals(404, get.statusCode());
        assertEquals("NoSuchKey", get.awsErrorDetails().errorCode());
        S3Exception head = assertThrows(
                S3Exception.class, () -> s3.headObject(b -> b.bucket("sdk").key("gone")));
        assertEquals(404, head.statusCode());
        // deleting a missing key succeeds in S3
        s3.deleteObject(b -> b.bucket("sdk").key("gone"));
        S3Exception noBucket = assertThrows(
                S3Exception.class,
                () -> s3.getObjectAsBytes(b -> b.bucket("no-such-bucket").key("k")));
        assertEquals(404, noBucket.statusCode());
        assertEquals("NoSuchBucket", noBucket.awsErrorDetails().errorCode());
    }

    @Test
    void multipart() {
        int partSize = 5 << 20;
        byte[] data = TestBytes.random(3, 2 * partSize + 123_456);
        String id = s3.createMultipartUpload(b -> b.bucket("sdk").key("mp.bin")).uploadId();
        List<CompletedPart> parts = new ArrayList<>();
        for (int n = 1, off = 0; off < data.length; n++, off += partSize) {
            byte[] part = Arrays.copyOfRange(data, off, Math.min(data.length, off + partSize));
            int pn = n;
            UploadPartResponse r = s3.uploadPart(
                    b -> b.bucket("sdk").key("mp.bin").uploadId(id).partNumber(pn), RequestBody.fromBytes(part));
            assertEquals(quoted(Digests.md5Hex(part)), r.eTag(), "UploadPart ETag " + pn);
            parts.add(CompletedPart.builder()
                    .partNumber(pn)
                    .eTag(r.eTag())
                    .checksumCRC32(r.checksumCRC32())
                    .build());
        }
        assertEquals(
                3,
                s3.listParts(b -> b.bucket("sdk").key("mp.bin").uploadId(id))
                        .parts()
                        .size());
        CompleteMultipartUploadResponse done = s3.completeMultipartUpload(
                b -> b.bucket("sdk").key("mp.bin").uploadId(id).multipartUpload(u -> u.parts(parts)));
        String etag = quoted(Digests.multipartEtag(data, partSize));
        assertEquals(etag, done.eTag(), "CompleteMultipartUpload ETag");
        ResponseBytes<GetObjectResponse> got =
                s3.getObjectAsBytes(b -> b.bucket("sdk").key("mp.bin"));
        assertArrayEquals(data, got.asByteArray(), "multipart object bytes");
        assertEquals(etag, got.response().eTag());
        assertEquals(etag, s3.headObject(b -> b.bucket("sdk").key("mp.bin")).eTag());

        String aborted =
                s3.createMultipartUpload(b -> b.bucket("sdk").key("aborted")).uploadId();
        s3.abortMultipartUpload(b -> b.bucket("sdk").key("aborted").uploadId(aborted));
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> s3.listParts(b -> b.bucket("sdk").key("aborted").uploadId(aborted)));
        assertEquals("NoSuchUpload", e.awsErrorDetails().errorCode());
    }

    /** The Java-based async client with multipart on, driven by S3TransferManager: 200 MiB up and down. */
    @Test
    void transferManagerLargeFile() throws Exception {
        Path src = TestBytes.randomFile(tmp.resolve("big.bin"), 4, 200L << 20);
        Path back = tmp.resolve("big.back");
        try (S3AsyncClient async = S3AsyncClient.builder()
                        .endpointOverride(URI.create(cluster.endpoint()))
                        .region(Region.US_EAST_1)
                        .credentialsProvider(credentials())
                        .forcePathStyle(true)
                        .multipartEnabled(true)
                        .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofMinutes(5)))
                        .build();
                S3TransferManager tm =
                        S3TransferManager.builder().s3Client(async).build()) {
            CompletedFileUpload up = tm.uploadFile(u ->
                            u.source(src).putObjectRequest(p -> p.bucket("sdk").key("big.bin")))
                    .completionFuture()
                    .get(5, TimeUnit.MINUTES);
            assertTrue(
                    up.response().eTag().matches("\"[0-9a-f]{32}-\\d+\""),
                    "multipart ETag, got " + up.response().eTag());
            assertEquals(
                    200L << 20,
                    s3.headObject(b -> b.bucket("sdk").key("big.bin")).contentLength());

            CompletedFileDownload down = tm.downloadFile(d -> d.destination(back)
                            .getObjectRequest(g -> g.bucket("sdk").key("big.bin")))
                    .completionFuture()
                    .get(5, TimeUnit.MINUTES);
            assertEquals(up.response().eTag(), down.response().eTag());
        }
        assertEquals(Digests.sha256Hex(src), Digests.sha256Hex(back), "SHA-256 of the downloaded file");
        assertFalse(back.toFile().length() == 0);
    }

    /** Issue 14's additions through the SDK: tags, conditional and retried writes, lifecycle rules that run. */
    @Test
    void tagsConditionalWritesAndLifecycle() throws Exception {
        s3.createBucket(b -> b.bucket("sdk-14").createBucketConfiguration(c -> c.locationConstraint("eu-west-1")));
        assertEquals("eu-west-1", s3.getBucketLocation(b -> b.bucket("sdk-14")).locationConstraintAsString());

        String etag = s3.putObject(b -> b.bucket("sdk-14").key("tmp/t").tagging("a=1"), RequestBody.fromString("t"))
                .eTag();
        assertEquals(
                List.of(Tag.builder().key("a").value("1").build()),
                s3.getObjectTagging(b -> b.bucket("sdk-14").key("tmp/t")).tagSet());
        s3.putObject(b -> b.bucket("sdk-14").key("tmp/t").ifMatch(etag), RequestBody.fromString("t2"));
        assertEquals(
                412,
                assertThrows(
                                S3Exception.class,
                                () -> s3.putObject(
                                        b -> b.bucket("sdk-14").key("tmp/t").ifMatch(etag),
                                        RequestBody.fromString("x")))
                        .statusCode());

        String upload =
                s3.createMultipartUpload(b -> b.bucket("sdk-14").key("keep/mp")).uploadId();
        String part = s3.uploadPart(
                        b -> b.bucket("sdk-14").key("keep/mp").uploadId(upload).partNumber(1),
                        RequestBody.fromString("part"))
                .eTag();
        CompleteMultipartUploadRequest complete = CompleteMultipartUploadRequest.builder()
                .bucket("sdk-14")
                .key("keep/mp")
                .uploadId(upload)
                .multipartUpload(m ->
                        m.parts(CompletedPart.builder().partNumber(1).eTag(part).build()))
                .build();
        String first = s3.completeMultipartUpload(complete).eTag();
        assertEquals(first, s3.completeMultipartUpload(complete).eTag(), "a retried complete answers the same");

        s3.putBucketLifecycleConfiguration(b -> b.bucket("sdk-14")
                .lifecycleConfiguration(c -> c.rules(LifecycleRule.builder()
                        .id("tmp")
                        .status(ExpirationStatus.ENABLED)
                        .filter(f -> f.prefix("tmp/"))
                        .expiration(e -> e.days(1))
                        .build())));
        assertEquals(
                "tmp",
                s3.getBucketLifecycleConfiguration(b -> b.bucket("sdk-14"))
                        .rules()
                        .get(0)
                        .id());
        cluster.startCoordinator(Duration.ofSeconds(2)); // a lifecycle "day" of two seconds
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<String> keys;
        do {
            Thread.sleep(200);
            keys = s3.listObjectsV2(b -> b.bucket("sdk-14")).contents().stream()
                    .map(S3Object::key)
                    .toList();
        } while (!keys.equals(List.of("keep/mp")) && System.nanoTime() < deadline);
        assertEquals(List.of("keep/mp"), keys, "the rule expired tmp/ and nothing else");

        s3.createMultipartUpload(b -> b.bucket("sdk-14").key("unfinished"));
        s3.deleteObject(b -> b.bucket("sdk-14").key("keep/mp"));
        s3.deleteBucket(b -> b.bucket("sdk-14")); // aborts the unfinished upload, as S3 does
        assertEquals(
                404,
                assertThrows(S3Exception.class, () -> s3.headBucket(b -> b.bucket("sdk-14")))
                        .statusCode());
    }

    /** Versioning through the SDK: versions, a delete marker, a version read and removed, the listing. */
    @Test
    void versioning() {
        s3.createBucket(b -> b.bucket("sdk-versions"));
        s3.putBucketVersioning(b -> b.bucket("sdk-versions").versioningConfiguration(v -> v.status("Enabled")));
        String v1 = s3.putObject(b -> b.bucket("sdk-versions").key("k"), RequestBody.fromString("one"))
                .versionId();
        String v2 = s3.putObject(b -> b.bucket("sdk-versions").key("k"), RequestBody.fromString("two"))
                .versionId();
        assertEquals(
                "one",
                s3.getObjectAsBytes(b -> b.bucket("sdk-versions").key("k").versionId(v1))
                        .asUtf8String());
        assertTrue(s3.deleteObject(b -> b.bucket("sdk-versions").key("k")).deleteMarker());
        assertThrows(
                NoSuchKeyException.class,
                () -> s3.getObject(b -> b.bucket("sdk-versions").key("k")));
        var listed = s3.listObjectVersions(b -> b.bucket("sdk-versions"));
        assertEquals(
                List.of(v2, v1),
                listed.versions().stream().map(v -> v.versionId()).toList());
        assertEquals(1, listed.deleteMarkers().size());
        s3.deleteObject(b -> b.bucket("sdk-versions")
                .key("k")
                .versionId(listed.deleteMarkers().get(0).versionId()));
        assertEquals(
                "two",
                s3.getObjectAsBytes(b -> b.bucket("sdk-versions").key("k")).asUtf8String());
    }
}
