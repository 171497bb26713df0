package io.basalt.gateway;

import static io.basalt.gateway.S3Errors.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.TaggingDirective;

/** Object tagging: x-amz-tagging on PUT, copy and multipart, Get/Put/DeleteObjectTagging, S3's rules for tags. */
class TaggingTest {

    static final String BUCKET = "tagging";

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension(BUCKET);

    private static Map<String, String> tags(String key) {
        return env.s3().getObjectTagging(b -> b.bucket(BUCKET).key(key)).tagSet().stream()
                .collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> a, TreeMap::new));
    }

    private static Integer tagCount(String key) {
        return env.s3().headObject(b -> b.bucket(BUCKET).key(key)).tagCount();
    }

    @Test
    void tagsPutWithTheObjectAreReadBackAndCounted() {
        S3Client s3 = env.s3();
        s3.putObject(
                b -> b.bucket(BUCKET).key("a").tagging("team=vector search&stage=a+b/c:d@e"),
                RequestBody.fromString("data"));
        assertEquals(Map.of("team", "vector search", "stage", "a b/c:d@e"), tags("a"));
        assertEquals(2, tagCount("a"));
        assertEquals(2, s3.getObject(b -> b.bucket(BUCKET).key("a")).response().tagCount());

        s3.putObject(b -> b.bucket(BUCKET).key("plain"), RequestBody.fromString("data"));
        assertEquals(Map.of(), tags("plain"));
        assertNull(tagCount("plain"), "no x-amz-tagging-count without tags");
    }

    @Test
    void putObjectTaggingReplacesTheSetAndDeleteClearsIt() {
        S3Client s3 = env.s3();
        String etag = s3.putObject(b -> b.bucket(BUCKET).key("b").tagging("x=1"), RequestBody.fromString("bytes"))
                .eTag();
        s3.putObjectTagging(b -> b.bucket(BUCKET)
                .key("b")
                .tagging(t -> t.tagSet(
                        Tag.builder().key("k1").value("v1").build(),
                        Tag.builder().key("empty").value("").build())));
        assertEquals(Map.of("k1", "v1", "empty", ""), tags("b"));
        // the data and its ETag are the object's own, untouched by its tags
        assertEquals(etag, s3.headObject(b -> b.bucket(BUCKET).key("b")).eTag());
        assertEquals(
                "bytes", s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("b")).asUtf8String());

        s3.deleteObjectTagging(b -> b.bucket(BUCKET).key("b"));
        assertEquals(Map.of(), tags("b"));
        assertEquals(
                "bytes", s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("b")).asUtf8String());

        // an overwrite brings its own tags (here none), as on S3
        s3.putObjectTagging(b -> b.bucket(BUCKET)
                .key("b")
                .tagging(t -> t.tagSet(Tag.builder().key("k").value("v").build())));
        s3.putObject(b -> b.bucket(BUCKET).key("b"), RequestBody.fromString("new"));
        assertEquals(Map.of(), tags("b"));
    }

    @Test
    void copyKeepsOrReplacesTagsByItsDirective() {
        S3Client s3 = env.s3();
        s3.putObject(b -> b.bucket(BUCKET).key("src").tagging("a=1&b=2"), RequestBody.fromString("src"));
        s3.copyObject(b -> b.sourceBucket(BUCKET)
                .sourceKey("src")
                .destinationBucket(BUCKET)
                .destinationKey("c1"));
        assertEquals(Map.of("a", "1", "b", "2"), tags("c1"));
        s3.copyObject(b -> b.sourceBucket(BUCKET)
                .sourceKey("src")
                .destinationBucket(BUCKET)
                .destinationKey("c2")
                .taggingDirective(TaggingDirective.REPLACE)
                .tagging("c=3"));
        assertEquals(Map.of("c", "3"), tags("c2"));
        s3.copyObject(b -> b.sourceBucket(BUCKET)
                .sourceKey("src")
                .destinationBucket(BUCKET)
                .destinationKey("c3")
                .taggingDirective(TaggingDirective.REPLACE));
        assertEquals(Map.of(), tags("c3"));
        assertEquals("src", s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("c3")).asUtf8String());
    }

    @Test
    void aMultipartUploadTakesTheTagsItWasCreatedWith() {
        S3Client s3 = env.s3();
        String upload = s3.createMultipartUpload(b -> b.bucket(BUCKET).key("mp").tagging("source=multipart"))
                .uploadId();
        String etag = s3.uploadPart(
                        b -> b.bucket(BUCKET).key("mp").uploadId(upload).partNumber(1), RequestBody.fromString("part"))
                .eTag();
        s3.completeMultipartUpload(b -> b.bucket(BUCKET)
                .key("mp")
                .uploadId(upload)
                .multipartUpload(m ->
                        m.parts(CompletedPart.builder().partNumber(1).eTag(etag).build())));
        assertEquals(Map.of("source", "multipart"), tags("mp"));
    }

    @Test
    void tagsS3WouldRefuseAreRefusedAndNothingIsStored() {
        S3Client s3 = env.s3();
        String eleven =
                IntStream.rangeClosed(1, 11).mapToObj(i -> "k" + i + "=v").collect(Collectors.joining("&"));
        fails(
                400,
                "BadRequest",
                () -> s3.putObject(b -> b.bucket(BUCKET).key("bad").tagging(eleven), RequestBody.fromString("x")));
        fails(
                400,
                "InvalidTag",
                () -> s3.putObject(b -> b.bucket(BUCKET).key("bad").tagging("k=1&k=2"), RequestBody.fromString("x")));
        fails(
                400,
                "InvalidTag",
                () -> s3.putObject(
                        b -> b.bucket(BUCKET).key("bad").tagging("aws:owner=me"), RequestBody.fromString("x")));
        fails(
                400,
                "InvalidTag",
                () -> s3.putObject(b -> b.bucket(BUCKET).key("bad").tagging("k=a%23b"), RequestBody.fromString("x")));
        fails(
                400,
                "InvalidTag",
                () -> s3.putObject(
                        b -> b.bucket(BUCKET).key("bad").tagging("k".repeat(129) + "=v"), RequestBody.fromString("x")));
        fails(
                400,
                "InvalidTag",
                () -> s3.putObject(
                        b -> b.bucket(BUCKET).key("bad").tagging("k=" + "v".repeat(257)), RequestBody.fromString("x")));
        fails(404, "NoSuchKey", () -> s3.headObject(b -> b.bucket(BUCKET).key("bad")));

        s3.putObject(b -> b.bucket(BUCKET).key("ok").tagging("k=" + "v".repeat(256)), RequestBody.fromString("x"));
        List<Tag> tooMany = IntStream.rangeClosed(1, 11)
                .mapToObj(i -> Tag.builder().key("k" + i).value("v").build())
                .toList();
        fails(
                400,
                "BadRequest",
                () -> s3.putObjectTagging(b -> b.bucket(BUCKET).key("ok").tagging(t -> t.tagSet(tooMany))));
        fails(
                400,
                "InvalidTag",
                () -> s3.putObjectTagging(b -> b.bucket(BUCKET)
                        .key("ok")
                        .tagging(t -> t.tagSet(
                                Tag.builder().key("d").value("1").build(),
                                Tag.builder().key("d").value("2").build()))));
        assertEquals(Map.of("k", "v".repeat(256)), tags("ok"), "a refused PutObjectTagging changed nothing");

        fails(404, "NoSuchKey", () -> s3.getObjectTagging(b -> b.bucket(BUCKET).key("absent")));
        fails(
                404,
                "NoSuchKey",
                () -> s3.putObjectTagging(b -> b.bucket(BUCKET)
                        .key("absent")
                        .tagging(t -> t.tagSet(Tag.builder().key("k").value("v").build()))));
        fails(
                404,
                "NoSuchKey",
                () -> s3.deleteObjectTagging(b -> b.bucket(BUCKET).key("absent")));
        fails(
                404,
                "NoSuchBucket",
                () -> s3.getObjectTagging(b -> b.bucket("no-such-bucket").key("k")));
        fails(
                404,
                "NoSuchVersion",
                () -> s3.getObjectTagging(b -> b.bucket(BUCKET).key("ok").versionId("v1")));
        assertTrue(tags("ok").containsKey("k"));
    }
}
