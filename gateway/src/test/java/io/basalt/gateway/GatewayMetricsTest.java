package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.PrometheusText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** A real gateway's /metrics, scraped over HTTP before and after real S3 requests from the AWS SDK. */
class GatewayMetricsTest {

    static Path dir;
    static TestCluster cluster;
    static S3Client s3;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("basalt-GatewayMetricsTest");
        cluster = new TestCluster(dir, 6, 4, 2, c -> c.withMetricsListen("127.0.0.1:0"));
        s3 = cluster.client();
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void requestsBytesAndLatenciesAreCountedPerOperationAndStatusClass() throws Exception {
        PrometheusText before = scrape();
        s3.createBucket(b -> b.bucket("metrics"));
        byte[] big = new byte[200_000];
        new Random(1).nextBytes(big);
        s3.putObject(b -> b.bucket("metrics").key("big"), RequestBody.fromBytes(big));
        s3.putObject(b -> b.bucket("metrics").key("small"), RequestBody.fromBytes(new byte[1000]));
        s3.putObject(b -> b.bucket("metrics").key("empty"), RequestBody.empty());
        for (int i = 0; i < 2; i++)
            assertEquals(
                    big.length,
                    s3.getObjectAsBytes(b -> b.bucket("metrics").key("big")).asByteArray().length);
        assertThrows(
                NoSuchKeyException.class,
                () -> s3.getObjectAsBytes(b -> b.bucket("metrics").key("absent")));
        assertThrows(
                S3Exception.class, () -> s3.headObject(b -> b.bucket("metrics").key("absent")));
        assertEquals(3, s3.listObjectsV2(b -> b.bucket("metrics")).keyCount());
        s3.deleteObject(b -> b.bucket("metrics").key("empty"));
        try (S3Client wrong = cluster.client("minioadmin", "not-the-secret")) {
            S3Exception denied = assertThrows(S3Exception.class, () -> wrong.listObjectsV2(b -> b.bucket("metrics")));
            assertEquals(403, denied.statusCode());
        }

        // The counters move when each exchange completes, which may trail the client's answer a little.
        long deadline = System.nanoTime() + 10_000_000_000L;
        PrometheusText after = scrape();
        while (delta(before, after, "basalt_gateway_requests_total", "operation", "ListObjectsV2", "status", "4xx") < 1
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
            after = scrape();
        }
        assertEquals(
                1, delta(before, after, "basalt_gateway_requests_total", "operation", "CreateBucket", "status", "2xx"));
        assertEquals(
                3, delta(before, after, "basalt_gateway_requests_total", "operation", "PutObject", "status", "2xx"));
        assertEquals(
                2, delta(before, after, "basalt_gateway_requests_total", "operation", "GetObject", "status", "2xx"));
        assertEquals(
                1, delta(before, after, "basalt_gateway_requests_total", "operation", "GetObject", "status", "4xx"));
        assertEquals(
                1, delta(before, after, "basalt_gateway_requests_total", "operation", "HeadObject", "status", "4xx"));
        assertEquals(
                1,
                delta(before, after, "basalt_gateway_requests_total", "operation", "ListObjectsV2", "status", "2xx"));
        assertEquals(
                1,
                delta(before, after, "basalt_gateway_requests_total", "operation", "ListObjectsV2", "status", "4xx"));
        assertEquals(
                1, delta(before, after, "basalt_gateway_requests_total", "operation", "DeleteObject", "status", "2xx"));
        // The 4xx answers again, by their S3 error code; successes count no error.
        assertEquals(
                1, delta(before, after, "basalt_gateway_errors_total", "operation", "GetObject", "code", "NoSuchKey"));
        assertEquals(
                1, delta(before, after, "basalt_gateway_errors_total", "operation", "HeadObject", "code", "NoSuchKey"));
        assertEquals(
                1,
                delta(
                        before,
                        after,
                        "basalt_gateway_errors_total",
                        "operation",
                        "ListObjectsV2",
                        "code",
                        "SignatureDoesNotMatch"));
        assertEquals(
                3,
                after.samples.stream()
                                .filter(x -> x.name().equals("basalt_gateway_errors_total"))
                                .mapToDouble(x -> x.value())
                                .sum()
                        - before.samples.stream()
                                .filter(x -> x.name().equals("basalt_gateway_errors_total"))
                                .mapToDouble(x -> x.value())
                                .sum());
        assertEquals(3, delta(before, after, "basalt_gateway_request_seconds_count", "operation", "PutObject"));
        assertEquals(
                3,
                delta(before, after, "basalt_gateway_request_seconds_bucket", "operation", "PutObject", "le", "+Inf"));
        assertTrue(delta(before, after, "basalt_gateway_request_seconds_sum", "operation", "PutObject") > 0);

        // Bodies in: the 201,000 bytes plus the SDK's chunk framing; out: two 200,000-byte GETs plus the XML answers.
        double in = delta(before, after, "basalt_gateway_received_bytes_total");
        assertTrue(in >= 201_000 && in < 201_000 + 3 * 4096, "received " + in);
        double out = delta(before, after, "basalt_gateway_sent_bytes_total");
        assertTrue(out >= 400_000 && out < 400_000 + 12 * 4096, "sent " + out);
        assertEquals(0, after.value("basalt_gateway_requests_in_flight"));
        assertEquals(6, after.value("basalt_gateway_live_nodes"));
        assertEquals("gauge", after.type.get("basalt_gateway_requests_in_flight"));
        assertEquals("histogram", after.type.get("basalt_gateway_request_seconds"));
        // "big" and "small" each wrote one segment that reached its quorum; the empty object stores no shards
        assertEquals(2, delta(before, after, "basalt_gateway_write_quorum_segments_total"));
        assertTrue(delta(before, after, "basalt_gateway_write_wait_past_quorum_microseconds_total") >= 0);
        for (String c : new String[] {
            "basalt_gateway_read_hedges_total",
            "basalt_gateway_read_hedges_won_total",
            "basalt_gateway_write_shards_dropped_late_total",
            "basalt_gateway_write_quorum_segments_total",
            "basalt_gateway_write_wait_past_quorum_microseconds_total",
            "basalt_gateway_write_settled_after_answer_total"
        }) {
            assertEquals("counter", after.type.get(c), c);
            assertTrue(after.value(c) >= 0, c);
        }

        HttpResponse<String> health =
                HTTP.send(HttpRequest.newBuilder(metricsUri("/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
    }

    private static double delta(PrometheusText before, PrometheusText after, String name, String... labels) {
        double b = before.value(name, labels);
        return after.value(name, labels) - (Double.isNaN(b) ? 0 : b);
    }

    private static PrometheusText scrape() throws Exception {
        HttpResponse<String> r =
                HTTP.send(HttpRequest.newBuilder(metricsUri("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return PrometheusText.parse(r.body());
    }

    private static URI metricsUri(String path) {
        return URI.create("http://127.0.0.1:" + cluster.gateway.metricsPort() + path);
    }
}
