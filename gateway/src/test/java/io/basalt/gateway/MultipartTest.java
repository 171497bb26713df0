package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.Digests;
import io.basalt.testkit.TestBytes;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Multipart uploads: parallel, out-of-order parts stitched without copying. */
class MultipartTest {

    static final int MIB = 1 << 20;
    static final String BUCKET = "multipart";

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension(BUCKET);

    @Test
    void partsUploadedOutOfOrderInParallelReadBackExactly() throws Exception {
        byte[][] parts = {TestBytes.random(1, 5 * MIB), TestBytes.random(2, 5 * MIB + 17), TestBytes.random(3, 1000)};
        String id =
                env.s3().createMultipartUpload(b -> b.bucket(BUCKET).key("mp")).uploadId();
        List<CompletableFuture<String>> etags = new ArrayList<>();
        for (int i = parts.length - 1; i >= 0; i--) {
            int n = i + 1;
            byte[] body = parts[i];
            etags.add(
                    0,
                    CompletableFuture.supplyAsync(() -> env.s3()
                            .uploadPart(
                                    b -> b.bucket(BUCKET).key("mp").uploadId(id).partNumber(n),
                                    RequestBody.fromBytes(body))
                            .eTag()));
        }
        List<CompletedPart> done = new ArrayList<>();
        MessageDigest md5s = MessageDigest.getInstance("MD5");
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        for (int i = 0; i < parts.length; i++) {
            done.add(CompletedPart.builder()
                    .partNumber(i + 1)
                    .eTag(etags.get(i).get())
                    .build());
            md5s.update(MessageDigest.getInstance("MD5").digest(parts[i]));
            whole.write(parts[i]);
        }
        assertEquals(
                3,
                env.s3()
                        .listParts(b -> b.bucket(BUCKET).key("mp").uploadId(id))
                        .parts()
                        .size());
        String etag = env.s3()
                .completeMultipartUpload(
                        b -> b.bucket(BUCKET).key("mp").uploadId(id).multipartUpload(u -> u.parts(done)))
                .eTag();
        assertEquals("\"" + HexFormat.of().formatHex(md5s.digest()) + "-3\"", etag);

        byte[] expected = whole.toByteArray();
        assertArrayEquals(
                expected,
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("mp")).asByteArray());
        int from = 5 * MIB - 100, to = 5 * MIB + 5 * MIB + 17 + 10; // across both part boundaries
        byte[] range = env.s3()
                .getObjectAsBytes(b -> b.bucket(BUCKET).key("mp").range("bytes=" + from + "-" + to))
                .asByteArray();
        assertArrayEquals(Arrays.copyOfRange(expected, from, to + 1), range);
        assertEquals(etag, env.s3().headObject(b -> b.bucket(BUCKET).key("mp")).eTag());

        // GET ?partNumber=N, the SDKs' multipart download
        long offset = 0;
        for (int i = 0; i < parts.length; i++) {
            int n = i + 1;
            ResponseBytes<GetObjectResponse> part =
                    env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("mp").partNumber(n));
            assertArrayEquals(parts[i], part.asByteArray(), "part " + n);
            assertEquals(3, part.response().partsCount());
            assertEquals(
                    "bytes " + offset + "-" + (offset + parts[i].length - 1) + "/" + expected.length,
                    part.response().contentRange());
            offset += parts[i].length;
        }
        assertEquals(
                parts[1].length,
                env.s3()
                        .headObject(b -> b.bucket(BUCKET).key("mp").partNumber(2))
                        .contentLength());
        S3Exception beyond = assertThrows(
                S3Exception.class,
                () -> env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("mp").partNumber(4)));
        assertEquals(416, beyond.statusCode());
        assertEquals("InvalidPartNumber", beyond.awsErrorDetails().errorCode());
    }

    @Test
    void declaredObjectSizeIsChecked() {
        String id = env.s3()
                .createMultipartUpload(b -> b.bucket(BUCKET).key("sized"))
                .uploadId();
        String e = env.s3()
                .uploadPart(
                        b -> b.bucket(BUCKET).key("sized").uploadId(id).partNumber(1), RequestBody.fromString("12345"))
                .eTag();
        S3Exception wrong = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .completeMultipartUpload(b -> b.bucket(BUCKET)
                                .key("sized")
                                .uploadId(id)
                                .mpuObjectSize(6L)
                                .multipartUpload(u -> u.parts(CompletedPart.builder()
                                        .partNumber(1)
                                        .eTag(e)
                                        .build()))));
        assertEquals(400, wrong.statusCode());
        assertEquals("InvalidRequest", wrong.awsErrorDetails().errorCode());
        env.s3()
                .completeMultipartUpload(b -> b.bucket(BUCKET)
                        .key("sized")
                        .uploadId(id)
                        .mpuObjectSize(5L)
                        .multipartUpload(u -> u.parts(
                                CompletedPart.builder().partNumber(1).eTag(e).build())));
        assertEquals(
                "12345",
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("sized")).asUtf8String());
    }

    @Test
    void listMultipartUploadsPages() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String key = "pending/" + i;
            ids.add(env.s3()
                    .createMultipartUpload(b -> b.bucket(BUCKET).key(key))
                    .uploadId());
        }
        List<String> seen = new ArrayList<>();
        String keyMarker = null, idMarker = null;
        boolean truncated;
        do {
            String km = keyMarker, im = idMarker;
            ListMultipartUploadsResponse r = env.s3()
                    .listMultipartUploads(b -> b.bucket(BUCKET)
                            .prefix("pending/")
                            .maxUploads(2)
                            .keyMarker(km)
                            .uploadIdMarker(im));
            r.uploads().forEach(u -> seen.add(u.uploadId()));
            truncated = r.isTruncated();
            keyMarker = r.nextKeyMarker();
            idMarker = r.nextUploadIdMarker();
        } while (truncated);
        assertEquals(ids, seen);
        for (int i = 0; i < 5; i++) {
            String key = "pending/" + i, id = ids.get(i);
            env.s3().abortMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(id));
        }
    }

    @Test
    void uploadPartCopyBuildsAnObjectFromRangesOfAnother() {
        byte[] source = TestBytes.random(21, 12 * MIB + 5);
        env.s3().putObject(b -> b.bucket(BUCKET).key("copy-src"), RequestBody.fromBytes(source));
        String id = env.s3()
                .createMultipartUpload(b -> b.bucket(BUCKET).key("copy-dst"))
                .uploadId();
        String e1 = env.s3()
                .uploadPartCopy(b -> b.sourceBucket(BUCKET)
                        .sourceKey("copy-src")
                        .destinationBucket(BUCKET)
                        .destinationKey("copy-dst")
                        .uploadId(id)
                        .partNumber(1)
                        .copySourceRange("bytes=0-" + (5 * MIB - 1)))
                .copyPartResult()
                .eTag();
        String e2 = env.s3()
                .uploadPartCopy(b -> b.sourceBucket(BUCKET)
                        .sourceKey("copy-src")
                        .destinationBucket(BUCKET)
                        .destinationKey("copy-dst")
                        .uploadId(id)
                        .partNumber(2)
                        .copySourceRange("bytes=" + 5 * MIB + "-" + (source.length - 1)))
                .copyPartResult()
                .eTag();
        assertEquals("\"" + Digests.md5Hex(Arrays.copyOfRange(source, 0, 5 * MIB)) + "\"", e1);
        env.s3()
                .completeMultipartUpload(b -> b.bucket(BUCKET)
                        .key("copy-dst")
                        .uploadId(id)
                        .multipartUpload(u -> u.parts(
                                CompletedPart.builder().partNumber(1).eTag(e1).build(),
                                CompletedPart.builder().partNumber(2).eTag(e2).build())));
        assertArrayEquals(
                source,
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("copy-dst")).asByteArray());

        S3Exception outside = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .uploadPartCopy(b -> b.sourceBucket(BUCKET)
                                .sourceKey("copy-src")
                                .destinationBucket(BUCKET)
                                .destinationKey("copy-dst")
                                .uploadId(id)
                                .partNumber(3)
                                .copySourceRange("bytes=0-1")));
        assertEquals("NoSuchUpload", outside.awsErrorDetails().errorCode(), "the upload is complete");
    }

    @Test
    void copySourceRangePastALongIsInvalidRange() {
        // found by reading what the chaos fuzzer hit next door: this was a 500 (NumberFormatException)
        env.s3().putObject(b -> b.bucket(BUCKET).key("range-src"), RequestBody.fromString("small"));
        String id = env.s3()
                .createMultipartUpload(b -> b.bucket(BUCKET).key("range-dst"))
                .uploadId();
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .uploadPartCopy(b -> b.sourceBucket(BUCKET)
                                .sourceKey("range-src")
                                .destinationBucket(BUCKET)
                                .destinationKey("range-dst")
                                .uploadId(id)
                                .partNumber(1)
                                .copySourceRange("bytes=0-99999999999999999999")));
        assertEquals(416, e.statusCode());
        assertEquals("InvalidRange", e.awsErrorDetails().errorCode());
        env.s3().abortMultipartUpload(b -> b.bucket(BUCKET).key("range-dst").uploadId(id));
    }

    @Test
    void singleEmptyPartMakesAnEmptyObject() {
        String id = env.s3()
                .createMultipartUpload(b -> b.bucket(BUCKET).key("empty"))
                .uploadId();
        String e = env.s3()
                .uploadPart(b -> b.bucket(BUCKET).key("empty").uploadId(id).partNumber(1), RequestBody.empty())
                .eTag();
        env.s3()
                .completeMultipartUpload(b -> b.bucket(BUCKET)
                        .key("empty")
                        .uploadId(id)
                        .multipartUpload(u -> u.parts(
                                CompletedPart.builder().partNumber(1).eTag(e).build())));
        assertEquals(
                0, env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("empty")).asByteArray().length);
    }

    @Test
    void smallPartBeforeTheLastIsEntityTooSmall() {
        String id = env.s3()
                .createMultipartUpload(b -> b.bucket(BUCKET).key("small"))
                .uploadId();
        String e1 = env.s3()
                .uploadPart(
                        b -> b.bucket(BUCKET).key("small").uploadId(id).partNumber(1), RequestBody.fromString("tiny"))
                .eTag();
        String e2 = env.s3()
                .uploadPart(
                        b -> b.bucket(BUCKET).key("small").uploadId(id).partNumber(2), RequestBody.fromString("last"))
                .eTag();
        S3Exception ex = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .completeMultipartUpload(b -> b.bucket(BUCKET)
                                .key("small")
                                .uploadId(id)
                                .multipartUpload(u -> u.parts(
                                        CompletedPart.builder()
                                                .partNumber(1)
                                                .eTag(e1)
                                                .build(),
                                        CompletedPart.builder()
                                                .partNumber(2)
                                                .eTag(e2)
                                                .build()))));
        assertEquals("EntityTooSmall", ex.awsErrorDetails().errorCode());
        S3Exception wrongEtag = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .completeMultipartUpload(b -> b.bucket(BUCKET)
                                .key("small")
                                .uploadId(id)
                                .multipartUpload(u -> u.parts(CompletedPart.builder()
                                        .partNumber(2)
                                        .eTag("\"00000000000000000000000000000000\"")
                                        .build()))));
        assertEquals("InvalidPart", wrongEtag.awsErrorDetails().errorCode());
        S3Exception order = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .completeMultipartUpload(b -> b.bucket(BUCKET)
                                .key("small")
                                .uploadId(id)
                                .multipartUpload(u -> u.parts(
                                        CompletedPart.builder()
                                                .partNumber(2)
                                                .eTag(e2)
                                                .build(),
                                        CompletedPart.builder()
                                                .partNumber(1)
                                                .eTag(e1)
                                                .build()))));
        assertEquals("InvalidPartOrder", order.awsErrorDetails().errorCode());

        env.s3().abortMultipartUpload(b -> b.bucket(BUCKET).key("small").uploadId(id));
        S3Exception gone = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .uploadPart(
                                b -> b.bucket(BUCKET).key("small").uploadId(id).partNumber(3),
                                RequestBody.fromString("x")));
        assertEquals("NoSuchUpload", gone.awsErrorDetails().errorCode());
        assertThrows(
                S3Exception.class,
                () -> env.s3().headObject(b -> b.bucket(BUCKET).key("small")));
    }

    /**
     * Each multipart request names the right missing thing: a bucket that is not there (NoSuchBucket, whichever
     * request), or an upload that is not there in a bucket that is (NoSuchUpload); both 404. The gateway looks
     * the bucket up only once the upload is not found.
     */
    @Test
    void aMissingBucketOrUploadIsNamed() {
        List<CompletedPart> parts =
                List.of(CompletedPart.builder().partNumber(1).eTag("\"0\"").build());
        for (String bucket : List.of("no-such-bucket", BUCKET)) {
            String expected = bucket.equals(BUCKET) ? "NoSuchUpload" : "NoSuchBucket";
            List<org.junit.jupiter.api.function.Executable> calls = List.of(
                    () -> env.s3()
                            .uploadPart(
                                    b -> b.bucket(bucket)
                                            .key("k")
                                            .uploadId("none")
                                            .partNumber(1),
                                    RequestBody.fromString("x")),
                    () -> env.s3()
                            .completeMultipartUpload(b ->
                                    b.bucket(bucket).key("k").uploadId("none").multipartUpload(u -> u.parts(parts))),
                    () -> env.s3()
                            .abortMultipartUpload(b -> b.bucket(bucket).key("k").uploadId("none")),
                    () -> env.s3().listParts(b -> b.bucket(bucket).key("k").uploadId("none")));
            for (int i = 0; i < calls.size(); i++) {
                S3Exception e = assertThrows(S3Exception.class, calls.get(i));
                assertEquals(expected, e.awsErrorDetails().errorCode(), bucket + ", request " + i);
                assertEquals(404, e.statusCode(), bucket + ", request " + i);
            }
        }
        S3Exception create = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .createMultipartUpload(b -> b.bucket("no-such-bucket").key("k")));
        assertEquals("NoSuchBucket", create.awsErrorDetails().errorCode());
    }

    /** An SDK that lost the answer to its CompleteMultipartUpload sends it again: it gets the same answer, not 404. */
    @Test
    void aRetriedCompletionGetsTheFirstAnswer() {
        String id = env.s3()
                .createMultipartUpload(b -> b.bucket(BUCKET).key("retried"))
                .uploadId();
        byte[] data = TestBytes.random(21, 1000);
        String etag = env.s3()
                .uploadPart(
                        b -> b.bucket(BUCKET).key("retried").uploadId(id).partNumber(1), RequestBody.fromBytes(data))
                .eTag();
        List<CompletedPart> parts =
                List.of(CompletedPart.builder().partNumber(1).eTag(etag).build());
        String first = env.s3()
                .completeMultipartUpload(
                        b -> b.bucket(BUCKET).key("retried").uploadId(id).multipartUpload(u -> u.parts(parts)))
                .eTag();
        String again = env.s3()
                .completeMultipartUpload(
                        b -> b.bucket(BUCKET).key("retried").uploadId(id).multipartUpload(u -> u.parts(parts)))
                .eTag();
        assertEquals(first, again);
        assertArrayEquals(
                data,
                env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key("retried")).asByteArray());
        // not an answer for any other upload or key
        for (var other : List.of(List.of("retried", "no-such-upload"), List.of("elsewhere", id))) {
            S3Exception e = assertThrows(
                    S3Exception.class,
                    () -> env.s3()
                            .completeMultipartUpload(b -> b.bucket(BUCKET)
                                    .key(other.get(0))
                                    .uploadId(other.get(1))
                                    .multipartUpload(u -> u.parts(parts))));
            assertEquals("NoSuchUpload", e.awsErrorDetails().errorCode(), other.toString());
        }
        // once overwritten by a plain PUT, the key no longer answers for the upload
        env.s3().putObject(b -> b.bucket(BUCKET).key("retried"), RequestBody.fromString("new"));
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .completeMultipartUpload(b ->
                                b.bucket(BUCKET).key("retried").uploadId(id).multipartUpload(u -> u.parts(parts))));
        assertEquals("NoSuchUpload", e.awsErrorDetails().errorCode());
    }

    /** Unfinished uploads do not keep a bucket alive: DeleteBucket aborts them (S3, MinIO, Ceph RGW). */
    @Test
    void deleteBucketAbortsItsUnfinishedUploads() throws Exception {
        String bucket = "with-uploads";
        env.s3().createBucket(b -> b.bucket(bucket));
        String id = env.s3()
                .createMultipartUpload(b -> b.bucket(bucket).key("unfinished"))
                .uploadId();
        env.s3()
                .uploadPart(
                        b -> b.bucket(bucket).key("unfinished").uploadId(id).partNumber(1),
                        RequestBody.fromBytes(TestBytes.random(22, 3 * MIB)));
        env.s3().createMultipartUpload(b -> b.bucket(bucket).key("empty-upload"));
        try (var meta = env.cluster().metadata()) {
            long garbageBefore = meta.garbage().size();
            env.s3().deleteBucket(b -> b.bucket(bucket));
            assertThrows(S3Exception.class, () -> env.s3().headBucket(b -> b.bucket(bucket)));
            assertEquals(List.of(), meta.store().listUploads(bucket), "its uploads are gone");
            assertTrue(meta.garbage().size() > garbageBefore, "the parts' shards are queued for collection");
        }
        // an object still keeps it
        env.s3().createBucket(b -> b.bucket(bucket));
        env.s3().putObject(b -> b.bucket(bucket).key("k"), RequestBody.fromString("x"));
        S3Exception notEmpty = assertThrows(S3Exception.class, () -> env.s3().deleteBucket(b -> b.bucket(bucket)));
        assertEquals("BucketNotEmpty", notEmpty.awsErrorDetails().errorCode());
    }
}
