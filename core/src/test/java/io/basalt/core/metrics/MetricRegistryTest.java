package io.basalt.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.PrometheusText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MetricRegistryTest {

    @Test
    void countersRenderAndParseBackWithEscapedLabelValues() {
        MetricRegistry r = new MetricRegistry();
        Counter c =
                r.counter("basalt_test_requests_total", "Requests.\nSecond line with a \\ backslash.", "op", "status");
        String tricky = "quote\" backslash\\ newline\n end";
        c.labels("GetObject", "2xx").add(3);
        c.labels("GetObject", "2xx").inc();
        c.labels(tricky, "5xx").inc();
        r.counter("basalt_test_idle_total", "Never incremented.");

        PrometheusText text = PrometheusText.parse(r.render());
        assertEquals("counter", text.type.get("basalt_test_requests_total"));
        assertEquals("Requests.\nSecond line with a \\ backslash.", text.help.get("basalt_test_requests_total"));
        assertEquals(4, text.value("basalt_test_requests_total", "op", "GetObject", "status", "2xx"));
        assertEquals(1, text.value("basalt_test_requests_total", "op", tricky, "status", "5xx"));
        assertEquals(0, text.value("basalt_test_idle_total"), "an unlabelled counter shows 0 before its first event");
        assertEquals(3, text.samples.size());
        assertTrue(r.render().contains("op=\"quote\\\" backslash\\\\ newline\\n end\""), r.render());
    }

    @Test
    void histogramBucketsAreCumulativeWithSumAndCount() {
        MetricRegistry r = new MetricRegistry();
        Histogram h = r.histogram("basalt_test_seconds", "Latency.", new double[] {0.01, 0.1, 1}, "op");
        for (double v : new double[] {0.005, 0.01, 0.05, 0.5, 0.7, 3})
            h.labels("put").observe(v);
        PrometheusText text = PrometheusText.parse(r.render());
        assertEquals("histogram", text.type.get("basalt_test_seconds"));
        assertEquals(2, text.value("basalt_test_seconds_bucket", "op", "put", "le", "0.01"), "le is inclusive");
        assertEquals(3, text.value("basalt_test_seconds_bucket", "op", "put", "le", "0.1"));
        assertEquals(5, text.value("basalt_test_seconds_bucket", "op", "put", "le", "1"));
        assertEquals(6, text.value("basalt_test_seconds_bucket", "op", "put", "le", "+Inf"));
        assertEquals(6, text.value("basalt_test_seconds_count", "op", "put"));
        assertEquals(4.265, text.value("basalt_test_seconds_sum", "op", "put"), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> r.histogram("basalt_test_bad", "x", new double[] {1, 1}));
    }

    @Test
    void gaugesReadTheirSuppliersAtScrapeTime() {
        MetricRegistry r = new MetricRegistry();
        AtomicLong v = new AtomicLong(5);
        r.gauge("basalt_test_value", "A value.", v::get);
        Map<List<String>, Double> dirs = new LinkedHashMap<>();
        r.gauge("basalt_test_dir_free_bytes", "Free bytes per dir.", List.of("dir"), () -> Map.copyOf(dirs));
        r.counter("basalt_test_done_total", "Kept elsewhere.", v::get);
        dirs.put(List.of("/data/b"), 2e12);
        dirs.put(List.of("/data/a"), 1.5);
        v.set(7);
        String rendered = r.render();
        PrometheusText text = PrometheusText.parse(rendered);
        assertEquals(7, text.value("basalt_test_value"));
        assertEquals(7, text.value("basalt_test_done_total"));
        assertEquals(1.5, text.value("basalt_test_dir_free_bytes", "dir", "/data/a"));
        assertEquals(2e12, text.value("basalt_test_dir_free_bytes", "dir", "/data/b"));
        assertTrue(
                rendered.contains("basalt_test_dir_free_bytes{dir=\"/data/b\"} 2000000000000\n"),
                "integral values print as integers");
        assertTrue(rendered.indexOf("/data/a") < rendered.indexOf("/data/b"), "series in label order");
        assertTrue(
                rendered.indexOf("basalt_test_dir_free_bytes") < rendered.indexOf("basalt_test_value"),
                "families in name order");
    }

    @Test
    void misuseIsRefused() {
        MetricRegistry r = new MetricRegistry();
        Counter c = r.counter("basalt_test_total", "x", "op");
        assertThrows(IllegalArgumentException.class, () -> r.counter("basalt_test_total", "again"));
        assertThrows(IllegalArgumentException.class, () -> c.labels("a", "b"));
        assertThrows(IllegalArgumentException.class, () -> c.labels("a").add(-1));
        assertThrows(IllegalArgumentException.class, () -> r.counter("basalt-bad", "x"));
        assertThrows(IllegalArgumentException.class, () -> r.counter("basalt_le_total", "x", "le"));
    }

    @Test
    void serverAnswersMetricsAndHealth() throws Exception {
        MetricRegistry r = new MetricRegistry();
        r.counter("basalt_test_total", "x").add(42);
        AtomicBoolean healthy = new AtomicBoolean(true);
        try (MetricsServer server = MetricsServer.start("127.0.0.1:0", r, healthy::get)) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> metrics = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertEquals(
                    "text/plain; version=0.0.4; charset=utf-8",
                    metrics.headers().firstValue("Content-Type").orElseThrow());
            assertEquals(42, PrometheusText.parse(metrics.body()).value("basalt_test_total"));
            assertEquals(
                    200,
                    http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/health"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
            healthy.set(false);
            HttpResponse<String> sick = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, sick.statusCode());
            assertEquals("unhealthy\n", sick.body());
            assertEquals(
                    404,
                    http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/nope"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
        }
    }
}
