package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.meta.NodeRecord;
import io.basalt.testkit.Digests;
import io.basalt.testkit.TestBytes;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Virtual-hosted-style addressing with a configured domain (the SDK's own URLs, resolved to
 * 127.0.0.1 by the HTTP client so no DNS is needed), and MinIO's signed admin info API.
 */
class VirtualHostedAndAdminTest {

    static final String DOMAIN = "s3.local";

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client pathStyle;
    static S3Client virtualHosted;

    /** Every host under the test domain is this machine. */
    static final DnsResolver LOCAL = new DnsResolver() {
        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            if (host.equals(DOMAIN) || host.endsWith("." + DOMAIN))
                return new InetAddress[] {InetAddress.getLoopbackAddress()};
            return SystemDefaultDnsResolver.INSTANCE.resolve(host);
        }

        @Override
        public String resolveCanonicalHostname(String host) {
            return host;
        }
    };

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2, c -> c.withDomain(DOMAIN));
        pathStyle = cluster.client();
        virtualHosted = S3Client.builder()
                .endpointOverride(URI.create("http://" + DOMAIN + ":" + cluster.gateway.port()))
                .region(Region.US_EAST_1)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("minioadmin", "minioadmin")))
                .httpClient(Apache5HttpClient.builder().dnsResolver(LOCAL).build())
                .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1)))
                .build();
    }

    @AfterAll
    static void stop() {
        if (virtualHosted != null) virtualHosted.close();
        if (pathStyle != null) pathStyle.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void bucketFromTheHostAndTheWholePathAsKey() {
        virtualHosted.createBucket(b -> b.bucket("vhost"));
        byte[] data = TestBytes.random(1, 200_000);
        String key = "dir/with space/ä+b";
        virtualHosted.putObject(b -> b.bucket("vhost").key(key), RequestBody.fromBytes(data));
        assertArrayEquals(
                data,
                virtualHosted.getObjectAsBytes(b -> b.bucket("vhost").key(key)).asByteArray());
        // The same object path-style, through the same gateway.
        assertArrayEquals(
                data,
                pathStyle.getObjectAsBytes(b -> b.bucket("vhost").key(key)).asByteArray());
        assertEquals(
                List.of(key),
                virtualHosted.listObjectsV2(b -> b.bucket("vhost")).contents().stream()
                        .map(S3Object::key)
                        .toList());

        virtualHosted.copyObject(b -> b.sourceBucket("vhost")
                .sourceKey(key)
                .destinationBucket("vhost")
                .destinationKey("copy"));
        assertEquals(
                "\"" + Digests.md5Hex(data) + "\"",
                virtualHosted.headObject(b -> b.bucket("vhost").key("copy")).eTag());

        S3Exception e = assertThrows(
                S3Exception.class,
                () -> virtualHosted.getObject(b -> b.bucket("vhost").key("absent")));
        assertEquals("NoSuchKey", e.awsErrorDetails().errorCode());
        S3Exception nb =
                assertThrows(S3Exception.class, () -> virtualHosted.headBucket(b -> b.bucket("no-such-vhost")));
        assertEquals(404, nb.statusCode());
    }

    @Test
    void theBareDomainIsPathStyle() {
        try (S3Client bare = S3Client.builder()
                .endpointOverride(URI.create("http://" + DOMAIN + ":" + cluster.gateway.port()))
                .region(Region.US_EAST_1)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("minioadmin", "minioadmin")))
                .httpClient(Apache5HttpClient.builder().dnsResolver(LOCAL).build())
                .forcePathStyle(true)
                .build()) {
            bare.createBucket(b -> b.bucket("bare"));
            bare.putObject(b -> b.bucket("bare").key("k"), RequestBody.fromString("v"));
            assertEquals(
                    "v",
                    virtualHosted
                            .getObjectAsBytes(b -> b.bucket("bare").key("k"))
                            .asUtf8String());
            assertTrue(
                    bare.listBuckets().buckets().stream().anyMatch(b -> b.name().equals("bare")));
        }
    }

    @Test
    void adminInfoListsEveryLiveNodeOnline() throws Exception {
        HttpResponse<String> r = SignedHttp.send("GET", URI.create(cluster.endpoint() + "/minio/admin/v3/info"));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        String json = r.body();
        assertTrue(json.startsWith("{\"mode\":\"online\",\"region\":\"us-east-1\",\"deploymentID\":\""), json);
        Matcher servers = Pattern.compile("\\{\"state\":\"online\",\"endpoint\":\"([^\"]+)\"")
                .matcher(json);
        int count = 0;
        while (servers.find()) {
            String endpoint = servers.group(1);
            assertTrue(
                    cluster.gateway.membership().live().values().stream()
                            .map(NodeRecord::getAddress)
                            .anyMatch(endpoint::equals),
                    endpoint);
            count++;
        }
        assertEquals(6, count, json);
        assertTrue(json.contains("\"state\":\"ok\""), json);

        // The deployment id is stable across calls.
        HttpResponse<String> again = SignedHttp.send("GET", URI.create(cluster.endpoint() + "/minio/admin/v3/info"));
        assertEquals(deploymentId(json), deploymentId(again.body()));

        HttpResponse<String> anonymous = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(cluster.endpoint() + "/minio/admin/v3/info"))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(403, anonymous.statusCode());
        assertTrue(anonymous.body().contains("<Code>AccessDenied</Code>"), anonymous.body());

        HttpResponse<String> other = SignedHttp.send("GET", URI.create(cluster.endpoint() + "/minio/admin/v3/config"));
        assertEquals(501, other.statusCode(), other.body());
    }

    private static String deploymentId(String json) {
        Matcher m = Pattern.compile("\"deploymentID\":\"([0-9a-f-]{36})\"").matcher(json);
        assertTrue(m.find(), json);
        return m.group(1);
    }
}
