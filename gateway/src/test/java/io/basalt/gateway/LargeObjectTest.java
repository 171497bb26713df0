package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.Digests;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Memory per request is bounded: a 1 GiB object goes up and comes back down through a
 * gateway process started with -Xmx256m, byte-exact.
 */
class LargeObjectTest {

    static final long SIZE = 1L << 30;

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static Process gateway;
    static String endpoint;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2);
        int port = io.basalt.testkit.FreePorts.allocate();
        endpoint = "http://127.0.0.1:" + port;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        gateway = new ProcessBuilder(List.of(
                        java,
                        "-Xmx256m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "io.basalt.gateway.GatewayMain",
                        "--listen",
                        "127.0.0.1:" + port,
                        "--etcd",
                        cluster.etcd.endpoint(),
                        "--cluster-tls",
                        cluster.tls.toString()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("gateway.log").toFile())
                .start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(endpoint + "/minio/health/ready"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) break;
            } catch (java.io.IOException notYet) {
                // still starting
            }
            if (System.nanoTime() > deadline || !gateway.isAlive())
                throw new IllegalStateException("gateway process did not become ready");
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (gateway != null) {
            gateway.destroy();
            gateway.waitFor();
        }
        if (cluster != null) cluster.close();
    }

    @Test
    void oneGibThroughASmallHeapGateway() throws Exception {
        try (S3Client s3 = S3Client.builder()
                .endpointOverride(URI.create(endpoint))
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(() ->
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("minioadmin", "minioadmin"))
                .forcePathStyle(true)
                .overrideConfiguration(
                        c -> c.apiCallTimeout(Duration.ofMinutes(10)).retryStrategy(r -> r.maxAttempts(1)))
                .build()) {
            s3.createBucket(b -> b.bucket("large"));
            s3.putObject(
                    b -> b.bucket("large").key("one-gib"),
                    RequestBody.fromContentProvider(
                            () -> new PatternStream(42, SIZE), SIZE, "application/octet-stream"));
            assertEquals(
                    SIZE, s3.headObject(b -> b.bucket("large").key("one-gib")).contentLength());
            String expected = Digests.sha256Hex(new PatternStream(42, SIZE));
            try (ResponseInputStream<GetObjectResponse> in =
                    s3.getObject(b -> b.bucket("large").key("one-gib"))) {
                assertEquals(expected, Digests.sha256Hex(in));
            }
        }
        assertTrue(gateway.isAlive(), "the -Xmx256m gateway survived");
    }
}
