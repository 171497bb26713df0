package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.testkit.Digests;
import io.basalt.testkit.TestBytes;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** CopyObject: bytes re-encoded into fresh shard sets, metadata directives, conditions and errors. */
class CopyObjectTest {

    static final int MIB = 1 << 20;
    static final String SRC = "copy-src";
    static final String DST = "copy-dst";

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;
    static EtcdMetadataStore meta;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2);
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket(SRC));
        s3.createBucket(b -> b.bucket(DST));
        meta = cluster.metadataStore();
    }

    @AfterAll
    static void stop() {
        if (meta != null) meta.close();
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    private static byte[] put(String bucket, String key, byte[] data) {
        s3.putObject(
                b -> b.bucket(bucket)
                        .key(key)
                        .contentType("text/x-source")
                        .cacheControl("max-age=60")
                        .metadata(Map.of("origin", "source")),
                RequestBody.fromBytes(data));
        return data;
    }

    private static byte[] get(String bucket, String key) {
        return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
    }

    private static String shardSet(String bucket, String key) {
        ObjectRecord r = meta.getObject(bucket, key).orElseThrow();
        return r.getSegments(0).getShardSet();
    }

    private static S3Exception copyFails(
            Consumer<software.amazon.awssdk.services.s3.model.CopyObjectRequest.Builder> req) {
        return assertThrows(S3Exception.class, () -> s3.copyObject(req));
    }

    @Test
    void sameBucketCopyKeepsBytesEtagAndMetadataInANewShardSet() {
        byte[] data = put(SRC, "multi-stripe", TestBytes.random(1, 3 * MIB + 123));
        CopyObjectResponse r = s3.copyObject(b -> b.sourceBucket(SRC)
                .sourceKey("multi-stripe")
                .destinationBucket(SRC)
                .destinationKey("multi-stripe-copy"));
        String md5 = "\"" + Digests.md5Hex(data) + "\"";
        assertEquals(md5, r.copyObjectResult().eTag());
        assertNotNull(r.copyObjectResult().lastModified());
        assertArrayEquals(data, get(SRC, "multi-stripe-copy"));
        HeadObjectResponse head = s3.headObject(b -> b.bucket(SRC).key("multi-stripe-copy"));
        assertEquals(md5, head.eTag());
        assertEquals("text/x-source", head.contentType());
        assertEquals("max-age=60", head.cacheControl());
        assertEquals(Map.of("origin", "source"), head.metadata());
        // GC deletes a replaced version's shard sets, so a copy must never share them.
        assertNotEquals(shardSet(SRC, "multi-stripe"), shardSet(SRC, "multi-stripe-copy"));
    }

    @Test
    void crossBucketCopyWithReplaceTakesMetadataFromTheRequest() {
        byte[] data = put(SRC, "replace-me", TestBytes.random(2, 100_000));
        s3.copyObject(b -> b.sourceBucket(SRC)
                .sourceKey("replace-me")
                .destinationBucket(DST)
                .destinationKey("replaced")
                .metadataDirective(MetadataDirective.REPLACE)
                .contentType("application/x-new")
                .metadata(Map.of("origin", "copy")));
        assertArrayEquals(data, get(DST, "replaced"));
        HeadObjectResponse head = s3.headObject(b -> b.bucket(DST).key("replaced"));
        assertEquals("\"" + Digests.md5Hex(data) + "\"", head.eTag());
        assertEquals("application/x-new", head.contentType());
        assertEquals(Map.of("origin", "copy"), head.metadata());
        assertEquals(null, head.cacheControl());
    }

    @Test
    void copyOntoItselfNeedsReplace() {
        byte[] data = put(SRC, "self", TestBytes.random(3, 70_000));
        String before = shardSet(SRC, "self");
        S3Exception e = copyFails(b ->
                b.sourceBucket(SRC).sourceKey("self").destinationBucket(SRC).destinationKey("self"));
        assertEquals(400, e.statusCode());
        assertEquals("InvalidRequest", e.awsErrorDetails().errorCode());
        assertEquals(before, shardSet(SRC, "self"));

        s3.copyObject(b -> b.sourceBucket(SRC)
                .sourceKey("self")
                .destinationBucket(SRC)
                .destinationKey("self")
                .metadataDirective(MetadataDirective.REPLACE)
                .contentType("text/updated"));
        assertArrayEquals(data, get(SRC, "self"));
        assertEquals(
                "text/updated", s3.headObject(b -> b.bucket(SRC).key("self")).contentType());
        assertNotEquals(before, shardSet(SRC, "self"));
    }

    @Test
    void multipartSourceGetsTheMd5OfItsBytes() {
        byte[] p1 = TestBytes.random(4, 5 * MIB), p2 = TestBytes.random(5, 1234);
        String id = s3.createMultipartUpload(b -> b.bucket(SRC).key("mp")).uploadId();
        String e1 = s3.uploadPart(b -> b.bucket(SRC).key("mp").uploadId(id).partNumber(1), RequestBody.fromBytes(p1))
                .eTag();
        String e2 = s3.uploadPart(b -> b.bucket(SRC).key("mp").uploadId(id).partNumber(2), RequestBody.fromBytes(p2))
                .eTag();
        s3.completeMultipartUpload(b -> b.bucket(SRC)
                .key("mp")
                .uploadId(id)
                .multipartUpload(u -> u.parts(
                        CompletedPart.builder().partNumber(1).eTag(e1).build(),
                        CompletedPart.builder().partNumber(2).eTag(e2).build())));
        byte[] all = new byte[p1.length + p2.length];
        System.arraycopy(p1, 0, all, 0, p1.length);
        System.arraycopy(p2, 0, all, p1.length, p2.length);

        CopyObjectResponse r = s3.copyObject(
                b -> b.sourceBucket(SRC).sourceKey("mp").destinationBucket(DST).destinationKey("mp-copy"));
        assertEquals("\"" + Digests.md5Hex(all) + "\"", r.copyObjectResult().eTag());
        assertArrayEquals(all, get(DST, "mp-copy"));
        assertTrue(s3.headObject(b -> b.bucket(SRC).key("mp")).eTag().endsWith("-2\""));
    }

    @Test
    void emptyObjectAndEncodedKeysCopy() {
        put(SRC, "empty", new byte[0]);
        s3.copyObject(b ->
                b.sourceBucket(SRC).sourceKey("empty").destinationBucket(DST).destinationKey("empty"));
        assertEquals(0, get(DST, "empty").length);

        String odd = "dir/ä b+c?d=e&f%20";
        byte[] data = put(SRC, odd, TestBytes.random(6, 5000));
        s3.copyObject(
                b -> b.sourceBucket(SRC).sourceKey(odd).destinationBucket(DST).destinationKey(odd));
        assertArrayEquals(data, get(DST, odd));

        // The raw header forms: without a leading slash, and naming the "null" version.
        String encoded = URLEncoder.encode(odd, StandardCharsets.UTF_8).replace("+", "%20");
        for (String source : new String[] {SRC + "/" + encoded, "/" + SRC + "/" + encoded + "?versionId=null"}) {
            @SuppressWarnings("deprecation")
            CopyObjectResponse r = s3.copyObject(
                    b -> b.copySource(source).destinationBucket(DST).destinationKey("raw"));
            assertEquals(
                    "\"" + Digests.md5Hex(data) + "\"", r.copyObjectResult().eTag());
            assertArrayEquals(data, get(DST, "raw"));
        }
        S3Exception e = copyFails(b -> b.sourceBucket(SRC)
                .sourceKey(odd)
                .sourceVersionId("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")
                .destinationBucket(DST)
                .destinationKey("raw"));
        assertEquals("NoSuchVersion", e.awsErrorDetails().errorCode());
    }

    @Test
    void conditionalCopies() {
        byte[] data = put(SRC, "cond", TestBytes.random(7, 10_000));
        String etag = "\"" + Digests.md5Hex(data) + "\"";
        Instant past = Instant.now().minusSeconds(3600), future = Instant.now().plusSeconds(3600);

        s3.copyObject(b -> b.sourceBucket(SRC)
                .sourceKey("cond")
                .destinationBucket(DST)
                .destinationKey("cond-1")
                .copySourceIfMatch(etag));
        assertArrayEquals(data, get(DST, "cond-1"));
        s3.copyObject(b -> b.sourceBucket(SRC)
                .sourceKey("cond")
                .destinationBucket(DST)
                .destinationKey("cond-2")
                .copySourceIfNoneMatch("\"0123\"")
                .copySourceIfModifiedSince(past)
                .copySourceIfUnmodifiedSince(future));
        assertArrayEquals(data, get(DST, "cond-2"));
        // If-Match wins over a failing If-Unmodified-Since, as in S3.
        s3.copyObject(b -> b.sourceBucket(SRC)
                .sourceKey("cond")
                .destinationBucket(DST)
                .destinationKey("cond-3")
                .copySourceIfMatch(etag)
                .copySourceIfUnmodifiedSince(past));

        List<Consumer<software.amazon.awssdk.services.s3.model.CopyObjectRequest.Builder>> failing = List.of(
                b -> b.copySourceIfMatch("\"0123\""),
                b -> b.copySourceIfNoneMatch(etag),
                b -> b.copySourceIfModifiedSince(future),
                b -> b.copySourceIfUnmodifiedSince(past));
        for (var condition : failing) {
            S3Exception e = copyFails(b -> condition.accept(
                    b.sourceBucket(SRC).sourceKey("cond").destinationBucket(DST).destinationKey("cond-x")));
            assertEquals(412, e.statusCode());
            assertEquals("PreconditionFailed", e.awsErrorDetails().errorCode());
        }
        assertFalse(meta.getObject(DST, "cond-x").isPresent());
    }

    @Test
    void missingSourceOrBucket() {
        S3Exception key = copyFails(b ->
                b.sourceBucket(SRC).sourceKey("absent").destinationBucket(DST).destinationKey("x"));
        assertEquals(404, key.statusCode());
        assertEquals("NoSuchKey", key.awsErrorDetails().errorCode());
        S3Exception srcBucket = copyFails(b -> b.sourceBucket("no-such-src")
                .sourceKey("a")
                .destinationBucket(DST)
                .destinationKey("x"));
        assertEquals("NoSuchBucket", srcBucket.awsErrorDetails().errorCode());
        S3Exception srcVersionBucket = copyFails(b -> b.sourceBucket("no-such-src")
                .sourceKey("a")
                .sourceVersionId("null")
                .destinationBucket(DST)
                .destinationKey("x"));
        assertEquals("NoSuchBucket", srcVersionBucket.awsErrorDetails().errorCode());
        put(SRC, "exists", new byte[] {1});
        // a destination deleted a moment after a copy into it: the commit, not the gateway's memory, decides
        s3.createBucket(b -> b.bucket("brief"));
        s3.copyObject(b -> b.sourceBucket(SRC)
                .sourceKey("exists")
                .destinationBucket("brief")
                .destinationKey("x"));
        s3.deleteObject(b -> b.bucket("brief").key("x"));
        s3.deleteBucket(b -> b.bucket("brief"));
        S3Exception gone = copyFails(b -> b.sourceBucket(SRC)
                .sourceKey("exists")
                .destinationBucket("brief")
                .destinationKey("x"));
        assertEquals("NoSuchBucket", gone.awsErrorDetails().errorCode());
        assertFalse(meta.getObject("brief", "x").isPresent());
        S3Exception dstBucket = copyFails(b -> b.sourceBucket(SRC)
                .sourceKey("exists")
                .destinationBucket("no-such-dst")
                .destinationKey("x"));
        assertEquals("NoSuchBucket", dstBucket.awsErrorDetails().errorCode());
        S3Exception directive = copyFails(b -> b.sourceBucket(SRC)
                .sourceKey("exists")
                .destinationBucket(DST)
                .destinationKey("x")
                .metadataDirective("MERGE"));
        assertEquals("InvalidArgument", directive.awsErrorDetails().errorCode());
    }
}
