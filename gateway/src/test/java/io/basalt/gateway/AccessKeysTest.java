package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.AccessStore;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.secrets.AccessKeys;
import io.basalt.core.secrets.ClusterKey;
import io.basalt.proto.meta.BucketGrant;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Access keys stored in etcd with per-bucket grants, against a real cluster: a key does what its
 * grants allow and nothing else (403 AccessDenied, nothing changed), and a change to a key or a
 * grant reaches the gateway within a second.
 */
class AccessKeysTest {

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static EtcdMetadata meta;
    static AccessStore keys;
    static S3Client root;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 3, 2, 1);
        meta = cluster.metadata();
        keys = meta.access();
        root = cluster.client();
        for (String b : List.of("mine", "theirs")) root.createBucket(r -> r.bucket(b));
        root.putObject(r -> r.bucket("theirs").key("secret.txt"), RequestBody.fromString("not for you"));
    }

    @AfterAll
    static void stop() {
        if (root != null) root.close();
        if (meta != null) meta.close();
        if (cluster != null) cluster.close();
    }

    /** A new key with {@code grant} in bucket "mine", and a client signing with it. */
    private static S3Client keyWith(BucketGrant grant) {
        AccessKeys.Issued k = AccessKeys.issue("test", cluster.clusterKey, System.currentTimeMillis());
        assertTrue(keys.create(k.record()));
        if (grant != null) {
            assertEquals(
                    AccessStore.GrantResult.DONE, keys.grant("mine", k.record().getAccessKeyId(), grant));
        }
        S3Client client = cluster.client(k.record().getAccessKeyId(), k.secret());
        ids.put(client, k.record().getAccessKeyId());
        secrets.put(client, k.secret());
        return client;
    }

    private static BucketGrant grant(boolean read, boolean write, boolean owner) {
        return BucketGrant.newBuilder()
                .setRead(read)
                .setWrite(write)
                .setOwner(owner)
                .build();
    }

    private static void denied(Callable<?> call, String what) {
        S3Exception e = assertThrows(S3Exception.class, call::call, what);
        assertEquals(403, e.statusCode(), what);
        // a HEAD answer has no body to name the error
        if (!what.startsWith("HEAD"))
            assertEquals("AccessDenied", e.awsErrorDetails().errorCode(), what);
    }

    private static List<String> rootKeys(String bucket) {
        return root.listObjectsV2(r -> r.bucket(bucket)).contents().stream()
                .map(S3Object::key)
                .toList();
    }

    @Test
    void aReadWriteKeyWorksInItsBucketAndNowhereElse() {
        try (S3Client k = keyWith(grant(true, true, false))) {
            byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
            k.putObject(r -> r.bucket("mine").key("a"), RequestBody.fromBytes(data));
            assertArrayEquals(
                    data, k.getObjectAsBytes(r -> r.bucket("mine").key("a")).asByteArray());
            assertEquals(
                    List.of("a"),
                    k.listObjectsV2(r -> r.bucket("mine")).contents().stream()
                            .map(S3Object::key)
                            .toList());
            k.headBucket(r -> r.bucket("mine"));

            denied(() -> k.getObject(r -> r.bucket("theirs").key("secret.txt")), "GET in another bucket");
            denied(() -> k.headObject(r -> r.bucket("theirs").key("secret.txt")), "HEAD in another bucket");
            denied(() -> k.listObjectsV2(r -> r.bucket("theirs")), "LIST of another bucket");
            denied(
                    () -> k.putObject(r -> r.bucket("theirs").key("planted"), RequestBody.fromString("x")),
                    "PUT into another bucket");
            denied(() -> k.deleteObject(r -> r.bucket("theirs").key("secret.txt")), "DELETE in another bucket");
            denied(
                    () -> k.createMultipartUpload(r -> r.bucket("theirs").key("mp")),
                    "multipart upload into another bucket");
            // a copy reads its source: writing here does not let it read there
            denied(
                    () -> k.copyObject(r -> r.sourceBucket("theirs")
                            .sourceKey("secret.txt")
                            .destinationBucket("mine")
                            .destinationKey("stolen")),
                    "CopyObject from another bucket");
            denied(() -> k.headBucket(r -> r.bucket("no-such-bucket")), "HEAD of a bucket that does not exist");
            denied(() -> k.createBucket(r -> r.bucket("new-one")), "CreateBucket (the root key's)");
            denied(() -> k.deleteBucket(r -> r.bucket("mine")), "DeleteBucket without owner");

            assertEquals(
                    List.of("mine"),
                    k.listBuckets().buckets().stream().map(Bucket::name).toList(),
                    "ListBuckets shows only buckets the key has a grant in");
            // nothing changed where the key was refused
            assertEquals(List.of("secret.txt"), rootKeys("theirs"));
            assertEquals(List.of("a"), rootKeys("mine"));
            assertFalse(
                    root.listBuckets().buckets().stream().anyMatch(b -> b.name().equals("new-one")));
            k.deleteObject(r -> r.bucket("mine").key("a"));
        }
    }

    @Test
    void aReadOnlyKeyCannotWriteAndAWriteOnlyKeyCannotRead() {
        root.putObject(r -> r.bucket("mine").key("ro"), RequestBody.fromString("read me"));
        try (S3Client reader = keyWith(grant(true, false, false));
                S3Client writer = keyWith(grant(false, true, false))) {
            assertEquals(
                    "read me",
                    reader.getObjectAsBytes(r -> r.bucket("mine").key("ro")).asUtf8String());
            denied(() -> reader.putObject(r -> r.bucket("mine").key("ro"), RequestBody.fromString("x")), "PUT");
            denied(() -> reader.deleteObject(r -> r.bucket("mine").key("ro")), "DELETE");
            writer.putObject(r -> r.bucket("mine").key("w"), RequestBody.fromString("written"));
            denied(() -> writer.getObject(r -> r.bucket("mine").key("w")), "GET with write only");
            denied(() -> writer.listObjectsV2(r -> r.bucket("mine")), "LIST with write only");
            assertEquals(
                    "read me",
                    root.getObjectAsBytes(r -> r.bucket("mine").key("ro")).asUtf8String());
            assertEquals(
                    "written",
                    root.getObjectAsBytes(r -> r.bucket("mine").key("w")).asUtf8String());
        }
    }

    @Test
    void grantsRevocationsAndDeletionsReachTheGatewayWithinASecond() throws Exception {
        AccessKeys.Issued issued = AccessKeys.issue("moving", cluster.clusterKey, System.currentTimeMillis());
        String id = issued.record().getAccessKeyId();
        try (S3Client k = cluster.client(id, issued.secret())) {
            // unknown until stored; the gateway's cache remembers "no such key" only until the watch says otherwise
            S3Exception unknown = assertThrows(S3Exception.class, () -> k.listBuckets());
            assertEquals("InvalidAccessKeyId", unknown.awsErrorDetails().errorCode());
            assertTrue(keys.create(issued.record()));
            // the first tries may still meet the cached "no such key" the watch has not yet evicted
            within(Duration.ofSeconds(1), "a new key", () -> {
                try {
                    return k.listBuckets().buckets().isEmpty();
                } catch (S3Exception e) {
                    if (!e.awsErrorDetails().errorCode().equals("InvalidAccessKeyId")) throw e;
                    return false;
                }
            });

            denied(() -> k.getObject(r -> r.bucket("theirs").key("secret.txt")), "before the grant");
            assertEquals(AccessStore.GrantResult.DONE, keys.grant("theirs", id, grant(true, false, false)));
            within(Duration.ofSeconds(1), "a grant", () -> readable(k));

            assertTrue(keys.revoke("theirs", id));
            within(Duration.ofSeconds(1), "a revocation", () -> !readable(k));

            assertTrue(keys.delete(id));
            within(Duration.ofSeconds(1), "a deleted key", () -> {
                try {
                    k.listBuckets();
                    return false;
                } catch (S3Exception e) {
                    return e.awsErrorDetails().errorCode().equals("InvalidAccessKeyId");
                }
            });
        }
    }

    @Test
    void aBucketMadeAgainUnderTheSameNameStartsWithNoGrants() {
        root.createBucket(r -> r.bucket("reborn"));
        try (S3Client k = keyWith(null)) {
            String id = keyId(k);
            assertEquals(AccessStore.GrantResult.DONE, keys.grant("reborn", id, grant(true, true, true)));
            k.putObject(r -> r.bucket("reborn").key("x"), RequestBody.fromString("x"));
            k.deleteObject(r -> r.bucket("reborn").key("x"));
            k.deleteBucket(r -> r.bucket("reborn")); // owner may delete its bucket
            assertTrue(keys.grantOf("reborn", id).isEmpty(), "DeleteBucket dropped the bucket's grants");
            root.createBucket(r -> r.bucket("reborn"));
            denied(() -> k.listObjectsV2(r -> r.bucket("reborn")), "the new bucket of the same name");
            assertEquals(AccessStore.GrantResult.NO_SUCH_BUCKET, keys.grant("gone", id, grant(true, false, false)));
        }
    }

    @Test
    void aWrongSecretAKeySealedByAnotherClusterKeyAndPresignedUrlsElsewhereAreRefused() throws Exception {
        try (S3Client k = keyWith(grant(true, true, false))) {
            String id = keyId(k);
            try (S3Client wrong = cluster.client(id, "x".repeat(40))) {
                S3Exception e = assertThrows(S3Exception.class, () -> wrong.listObjectsV2(r -> r.bucket("mine")));
                assertEquals("SignatureDoesNotMatch", e.awsErrorDetails().errorCode());
            }
            // a presigned URL is the key's signature: it reaches no bucket the key cannot
            try (S3Presigner presigner = S3Presigner.builder()
                    .endpointOverride(URI.create(cluster.endpoint()))
                    .region(software.amazon.awssdk.regions.Region.of(TestCluster.REGION))
                    .credentialsProvider(() ->
                            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(id, secrets.get(k)))
                    .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder()
                            .pathStyleAccessEnabled(true)
                            .build())
                    .build()) {
                URI theirs = presigner
                        .presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5))
                                .getObjectRequest(r -> r.bucket("theirs").key("secret.txt")))
                        .url()
                        .toURI();
                HttpURLConnection c = (HttpURLConnection) theirs.toURL().openConnection();
                assertEquals(403, c.getResponseCode());
                c.disconnect();
            }
        }
        // a record sealed with another cluster's key does not open here: the key does not exist for this gateway
        AccessKeys.Issued foreign =
                AccessKeys.issue("foreign", ClusterKey.of(new byte[32]), System.currentTimeMillis());
        assertTrue(keys.create(foreign.record()));
        assertEquals(
                AccessStore.GrantResult.DONE,
                keys.grant("mine", foreign.record().getAccessKeyId(), grant(true, true, true)));
        try (S3Client f = cluster.client(foreign.record().getAccessKeyId(), foreign.secret())) {
            S3Exception e = assertThrows(S3Exception.class, () -> f.listObjectsV2(r -> r.bucket("mine")));
            assertEquals("InvalidAccessKeyId", e.awsErrorDetails().errorCode());
        }
    }

    @Test
    void aPolicyThatDeniesRemovingVersionsKeepsThemFromAKeyThatMayDelete() throws Exception {
        root.createBucket(r -> r.bucket("vkept"));
        root.putBucketVersioning(r -> r.bucket("vkept").versioningConfiguration(v -> v.status("Enabled")));
        String v1 = root.putObject(r -> r.bucket("vkept").key("doc"), RequestBody.fromString("one"))
                .versionId();
        try (S3Client k = keyWith(null)) {
            String id = keyId(k);
            assertEquals(AccessStore.GrantResult.DONE, keys.grant("vkept", id, grant(true, true, false)));
            String noPurge = """
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                      "Action": "s3:DeleteObjectVersion", "Resource": "arn:aws:s3:::vkept/*"}]}""";
            root.putBucketPolicy(r -> r.bucket("vkept").policy(noPurge));
            within(Duration.ofSeconds(10), "a Deny of DeleteObjectVersion", () -> {
                try {
                    k.deleteObject(r -> r.bucket("vkept").key("doc").versionId(v1));
                    return false;
                } catch (S3Exception e) {
                    return e.statusCode() == 403;
                }
            });
            var batch = k.deleteObjects(r ->
                    r.bucket("vkept").delete(d -> d.objects(o -> o.key("doc").versionId(v1))));
            assertEquals(
                    List.of("doc:AccessDenied"),
                    batch.errors().stream().map(e -> e.key() + ":" + e.code()).toList());
            // a plain delete only hides the key behind a marker: allowed by the grant
            assertTrue(k.deleteObject(r -> r.bucket("vkept").key("doc")).deleteMarker());
            assertEquals(
                    "one",
                    root.getObjectAsBytes(r -> r.bucket("vkept").key("doc").versionId(v1))
                            .asUtf8String());
        }
    }

    @Test
    void aBucketPolicyAllowsAPrefixAndItsDenyOverridesAGrant() throws Exception {
        root.putObject(r -> r.bucket("theirs").key("public/a.txt"), RequestBody.fromString("public"));
        root.putObject(r -> r.bucket("theirs").key("private/b.txt"), RequestBody.fromString("private"));
        try (S3Client k = keyWith(grant(true, true, false))) {
            String id = keyId(k);
            denied(() -> k.getObject(r -> r.bucket("theirs").key("public/a.txt")), "GET before the policy");
            String readPublic = """
                    {"Version": "2012-10-17", "Statement": [
                      {"Sid": "public", "Effect": "Allow", "Principal": {"AWS": ["%s"]},
                       "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::theirs/public/*"},
                      {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
                       "Resource": "arn:aws:s3:::theirs"}]}""".formatted(id);
            root.putBucketPolicy(r -> r.bucket("theirs").policy(readPublic));
            within(Duration.ofSeconds(1), "a policy", () -> {
                try {
                    return k.getObjectAsBytes(r -> r.bucket("theirs").key("public/a.txt"))
                            .asUtf8String()
                            .equals("public");
                } catch (S3Exception e) {
                    return false;
                }
            });
            denied(() -> k.getObject(r -> r.bucket("theirs").key("private/b.txt")), "GET outside the prefix");
            denied(
                    () -> k.putObject(r -> r.bucket("theirs").key("public/new"), RequestBody.fromString("x")),
                    "PUT the policy does not allow");
            assertTrue(k.listObjectsV2(r -> r.bucket("theirs")).contents().size() >= 3, "ListBucket allowed");
            assertEquals(
                    readPublic, root.getBucketPolicy(r -> r.bucket("theirs")).policy(), "kept as put");

            // an explicit Deny beats the key's grant
            String keepSafe = """
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "%s"},
                      "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::mine/keep/*"}]}""".formatted(id);
            k.putObject(r -> r.bucket("mine").key("keep/x"), RequestBody.fromString("x"));
            k.putObject(r -> r.bucket("mine").key("other"), RequestBody.fromString("y"));
            root.putBucketPolicy(r -> r.bucket("mine").policy(keepSafe));
            within(Duration.ofSeconds(1), "a Deny", () -> {
                try {
                    k.deleteObject(r -> r.bucket("mine").key("keep/x"));
                    k.putObject(r -> r.bucket("mine").key("keep/x"), RequestBody.fromString("x"));
                    return false;
                } catch (S3Exception e) {
                    return e.statusCode() == 403;
                }
            });
            var batch = k.deleteObjects(r ->
                    r.bucket("mine").delete(d -> d.objects(o -> o.key("keep/x"), o -> o.key("other"))));
            assertEquals(
                    List.of("other"), batch.deleted().stream().map(o -> o.key()).toList());
            assertEquals(
                    List.of("keep/x:AccessDenied"),
                    batch.errors().stream().map(e -> e.key() + ":" + e.code()).toList());
            assertTrue(rootKeys("mine").contains("keep/x"), "nothing deleted where denied");

            // policies are the owner's: a read-write key may neither read nor change them
            denied(() -> k.getBucketPolicy(r -> r.bucket("mine")), "GetBucketPolicy without owner");
            denied(() -> k.putBucketPolicy(r -> r.bucket("mine").policy(readPublic)), "PutBucketPolicy without owner");
            denied(() -> k.deleteBucketPolicy(r -> r.bucket("mine")), "DeleteBucketPolicy without owner");
            assertEquals(keepSafe, root.getBucketPolicy(r -> r.bucket("mine")).policy());

            // what Basalt cannot evaluate is refused when put, never ignored
            for (String bad : List.of(
                    "not json",
                    readPublic.replace(
                            "\"Sid\": \"public\",", "\"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"true\"}},"),
                    readPublic.replace("arn:aws:s3:::theirs/public/*", "arn:aws:s3:::mine/*"),
                    readPublic.replace("s3:GetObject", "s3:GetObjects"),
                    readPublic.replace("\"Allow\", \"Principal\": {", "\"Permit\", \"Principal\": {"))) {
                S3Exception e = assertThrows(
                        S3Exception.class,
                        () -> root.putBucketPolicy(r -> r.bucket("theirs").policy(bad)),
                        bad);
                assertEquals(400, e.statusCode(), bad);
                assertEquals("MalformedPolicy", e.awsErrorDetails().errorCode(), bad);
            }
            assertEquals(
                    readPublic,
                    root.getBucketPolicy(r -> r.bucket("theirs")).policy(),
                    "a refused put changes nothing");

            root.deleteBucketPolicy(r -> r.bucket("theirs"));
            root.deleteBucketPolicy(r -> r.bucket("mine"));
            within(Duration.ofSeconds(1), "a deleted policy", () -> {
                try {
                    k.getObject(r -> r.bucket("theirs").key("public/a.txt"));
                    return false;
                } catch (S3Exception e) {
                    return e.statusCode() == 403;
                }
            });
            S3Exception none = assertThrows(S3Exception.class, () -> root.getBucketPolicy(r -> r.bucket("theirs")));
            assertEquals("NoSuchBucketPolicy", none.awsErrorDetails().errorCode());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static final java.util.Map<S3Client, String> secrets = new java.util.concurrent.ConcurrentHashMap<>();
    private static final java.util.Map<S3Client, String> ids = new java.util.concurrent.ConcurrentHashMap<>();

    private static String keyId(S3Client k) {
        return ids.get(k);
    }

    private static boolean readable(S3Client k) {
        try {
            k.headObject(r -> r.bucket("theirs").key("secret.txt"));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() != 403) throw e;
            return false;
        }
    }

    /** Waits for {@code condition}, failing past {@code limit}; says how long it took (the figure the README quotes). */
    private static void within(Duration limit, String what, Callable<Boolean> condition) throws Exception {
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) throw new AssertionError(what + ": not within " + limit);
            Thread.sleep(5);
        }
        System.out.printf(
                java.util.Locale.ROOT,
                "%s: seen by the gateway after %.1f ms%n",
                what,
                (System.nanoTime() - start) / 1e6);
    }
}
