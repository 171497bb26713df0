package io.basalt.gateway;

import static io.basalt.gateway.S3Errors.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.GetBucketAclResponse;
import software.amazon.awssdk.services.s3.model.GetObjectAclResponse;
import software.amazon.awssdk.services.s3.model.Grant;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.Permission;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.Type;

/**
 * Subresources: the probes tools make answered as an unconfigured, unversioned us-east-1 bucket
 * would, and everything else refused with 501, never mistaken for a plain bucket or object call.
 */
class SubresourcesTest {

    static final String BUCKET = "subresources";

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2);
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket(BUCKET));
        s3.putObject(b -> b.bucket(BUCKET).key("obj"), RequestBody.fromString("payload"));
    }

    @AfterAll
    static void stop() {
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void encryptionAndSharingHeadersAreRefusedNotIgnoredAndNothingIsStored() {
        for (Executable put : new Executable[] {
            () -> s3.putObject(
                    b -> b.bucket(BUCKET).key("sse").serverSideEncryption(ServerSideEncryption.AES256),
                    RequestBody.fromString("x")),
            () -> s3.putObject(
                    b -> b.bucket(BUCKET)
                            .key("sse")
                            .sseCustomerAlgorithm("AES256")
                            .sseCustomerKey("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
                            .sseCustomerKeyMD5("FU8OoVg0Y8Bs7dJZoOqEnQ=="),
                    RequestBody.fromString("x")),
            () -> s3.putObject(
                    b -> b.bucket(BUCKET).key("sse").acl(ObjectCannedACL.PUBLIC_READ), RequestBody.fromString("x")),
            () -> s3.putObject(
                    b -> b.bucket(BUCKET).key("sse").grantRead("id=someone-else"), RequestBody.fromString("x")),
            () -> s3.createMultipartUpload(
                    b -> b.bucket(BUCKET).key("sse").serverSideEncryption(ServerSideEncryption.AWS_KMS)),
            () -> s3.copyObject(b -> b.sourceBucket(BUCKET)
                    .sourceKey("obj")
                    .destinationBucket(BUCKET)
                    .destinationKey("sse")
                    .serverSideEncryption(ServerSideEncryption.AES256)),
        }) {
            S3Exception e = fails(501, "NotImplemented", put);
            assertTrue(e.awsErrorDetails().errorMessage().contains("not supported"), e.getMessage());
        }
        fails(404, "NoSuchKey", () -> s3.headObject(b -> b.bucket(BUCKET).key("sse")));
        assertEquals(0, s3.listMultipartUploads(b -> b.bucket(BUCKET)).uploads().size(), "no upload was started");
        // a canned ACL that says what is true anyway is accepted
        s3.putObject(b -> b.bucket(BUCKET).key("private").acl(ObjectCannedACL.PRIVATE), RequestBody.fromString("p"));
        assertEquals(
                "p", s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("private")).asUtf8String());
    }

    @Test
    void theCannedPrivateAclIsAcceptedAndOthersAreRefused() {
        s3.putBucketAcl(b -> b.bucket(BUCKET).acl(BucketCannedACL.PRIVATE));
        s3.putObjectAcl(b -> b.bucket(BUCKET).key("obj").acl(ObjectCannedACL.PRIVATE));
        assertEquals(
                Permission.FULL_CONTROL,
                s3.getObjectAcl(b -> b.bucket(BUCKET).key("obj"))
                        .grants()
                        .get(0)
                        .permission());
        fails(501, "NotImplemented", () -> s3.putBucketAcl(b -> b.bucket(BUCKET).acl(BucketCannedACL.PUBLIC_READ)));
        fails(
                501,
                "NotImplemented",
                () -> s3.putObjectAcl(b -> b.bucket(BUCKET).key("obj").acl(ObjectCannedACL.PUBLIC_READ_WRITE)));
        fails(
                501,
                "NotImplemented",
                () -> s3.putObjectAcl(b -> b.bucket(BUCKET)
                        .key("obj")
                        .accessControlPolicy(p -> p.owner(o -> o.id("someone"))
                                .grants(g -> g.permission(Permission.READ)
                                        .grantee(e -> e.type(Type.GROUP)
                                                .uri("http://acs.amazonaws.com/groups/global/AllUsers"))))));
        fails(
                404,
                "NoSuchKey",
                () -> s3.putObjectAcl(b -> b.bucket(BUCKET).key("absent").acl(ObjectCannedACL.PRIVATE)));
        fails(
                404,
                "NoSuchBucket",
                () -> s3.putBucketAcl(b -> b.bucket("no-such-bucket").acl(BucketCannedACL.PRIVATE)));
    }

    @Test
    void aBucketStartsUnversioned() {
        BucketVersioningStatus status =
                s3.getBucketVersioning(b -> b.bucket(BUCKET)).status();
        assertNull(status);
        fails(404, "NoSuchBucket", () -> s3.getBucketVersioning(b -> b.bucket("no-such-bucket")));
    }

    @Test
    void ownerHasFullControl() {
        GetBucketAclResponse bucket = s3.getBucketAcl(b -> b.bucket(BUCKET));
        assertEquals(1, bucket.grants().size());
        Grant g = bucket.grants().get(0);
        assertEquals(Permission.FULL_CONTROL, g.permission());
        assertEquals(Type.CANONICAL_USER, g.grantee().type());
        assertEquals(bucket.owner().id(), g.grantee().id());

        GetObjectAclResponse object = s3.getObjectAcl(b -> b.bucket(BUCKET).key("obj"));
        assertEquals(Permission.FULL_CONTROL, object.grants().get(0).permission());
        fails(404, "NoSuchKey", () -> s3.getObjectAcl(b -> b.bucket(BUCKET).key("absent")));
        assertTrue(
                s3.getObjectTagging(b -> b.bucket(BUCKET).key("obj")).tagSet().isEmpty());
    }

    @Test
    void absentBucketConfigurations() {
        fails(404, "NoSuchTagSet", () -> s3.getBucketTagging(b -> b.bucket(BUCKET)));
        fails(404, "NoSuchLifecycleConfiguration", () -> s3.getBucketLifecycleConfiguration(b -> b.bucket(BUCKET)));
        fails(404, "NoSuchBucketPolicy", () -> s3.getBucketPolicy(b -> b.bucket(BUCKET)));
        fails(404, "NoSuchCORSConfiguration", () -> s3.getBucketCors(b -> b.bucket(BUCKET)));
        fails(
                404,
                "ServerSideEncryptionConfigurationNotFoundError",
                () -> s3.getBucketEncryption(b -> b.bucket(BUCKET)));
        fails(404, "ObjectLockConfigurationNotFoundError", () -> s3.getObjectLockConfiguration(b -> b.bucket(BUCKET)));
        fails(404, "NoSuchBucket", () -> s3.getBucketPolicy(b -> b.bucket("no-such-bucket")));
    }

    @Test
    void otherSubresourcesAreNotImplementedAndChangeNothing() {
        fails(
                501,
                "NotImplemented",
                () -> s3.putBucketTagging(b -> b.bucket("tagging-only")
                        .tagging(t -> t.tagSet(software.amazon.awssdk.services.s3.model.Tag.builder()
                                .key("k")
                                .value("v")
                                .build()))));
        fails(404, "NoSuchBucket", () -> s3.headBucket(b -> b.bucket("tagging-only")));
        // a policy is served, but PUT /b?policy never creates the bucket
        fails(
                404,
                "NoSuchBucket",
                () -> s3.putBucketPolicy(b -> b.bucket("policy-only")
                        .policy("{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                                + "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::policy-only/*\"}}")));
        fails(404, "NoSuchBucket", () -> s3.headBucket(b -> b.bucket("policy-only")));

        assertArrayEquals(
                "payload".getBytes(),
                s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("obj")).asByteArray());

        fails(501, "NotImplemented", () -> s3.getBucketWebsite(b -> b.bucket(BUCKET)));
        fails(501, "NotImplemented", () -> s3.deleteBucketTagging(b -> b.bucket(BUCKET)));
        fails(501, "NotImplemented", () -> s3.deleteBucketCors(b -> b.bucket(BUCKET)));
        s3.headBucket(b -> b.bucket(BUCKET));
    }

    @Test
    void versionIdOtherThanNullNamesNoVersion() {
        assertArrayEquals(
                "payload".getBytes(),
                s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("obj").versionId("null"))
                        .asByteArray());
        fails(
                404,
                "NoSuchVersion",
                () -> s3.getObject(b -> b.bucket(BUCKET).key("obj").versionId("3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")));
        fails(
                404,
                "NoSuchVersion",
                () -> s3.deleteObject(b -> b.bucket(BUCKET).key("obj").versionId("3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")));
        assertArrayEquals(
                "payload".getBytes(),
                s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("obj")).asByteArray());
    }

    @Test
    void notImplementedIsAnS3ErrorDocument() throws Exception {
        for (String path : new String[] {"/" + BUCKET + "?website", "/" + BUCKET + "/obj?retention"}) {
            HttpResponse<String> r = SignedHttp.send("GET", URI.create(cluster.endpoint() + path));
            assertEquals(501, r.statusCode(), r.body());
            assertEquals(
                    "application/xml", r.headers().firstValue("Content-Type").orElse(""));
            assertTrue(r.body().contains("<Code>NotImplemented</Code>"), r.body());
        }
        HttpResponse<String> put = SignedHttp.send("PUT", URI.create(cluster.endpoint() + "/logging-only?logging"));
        assertEquals(501, put.statusCode(), put.body());
        fails(404, "NoSuchBucket", () -> s3.headBucket(b -> b.bucket("logging-only")));
    }
}
