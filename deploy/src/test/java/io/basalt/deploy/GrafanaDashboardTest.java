package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.basalt.coordinator.Coordinator;
import io.basalt.core.metrics.MetricsServer;
import io.basalt.gateway.TestCluster;
import io.basalt.testkit.PrometheusText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * deploy/grafana/basalt.json: importable as Grafana expects it, and every metric its queries name is
 * served by a process of a real cluster (etcd, storage nodes, gateway, coordinator) after some S3 traffic.
 */
class GrafanaDashboardTest {

    private static final String DATASOURCE = "${DS_PROMETHEUS}";

    /** Series Prometheus writes itself for every target it scrapes, which no process serves. */
    static final Set<String> PROMETHEUS_SERIES = Set.of("up");

    /**
     * Families with no series until an event this short run does not cause: a shard deleted (by GC, after its
     * grace) or found corrupt. Every other metric the dashboard names must have series after the traffic.
     */
    static final Set<String> EVENT_ONLY = Set.of("basalt_node_shard_deletes_total", "basalt_node_corrupt_shards_total");

    /** What the processes served: names of samples, and those plus every declared family's names. */
    record Served(Set<String> sampled, Set<String> names) {}

    @TempDir
    Path dir;

    @Test
    void isImportableWithTheDatasourceAskedForAndUniquePanelIds() throws Exception {
        GrafanaDashboard d = GrafanaDashboard.read(GrafanaDashboard.FILE);
        JsonObject json = d.json();
        assertEquals("Basalt", GrafanaDashboard.string(json, "title"));
        assertEquals("basalt-overview", GrafanaDashboard.string(json, "uid"));
        assertTrue(json.get("schemaVersion").getAsInt() >= 36, "a schema Grafana 10 and 11 import as is");
        assertTrue(json.get("id").isJsonNull(), "no id: Grafana gives one on import");

        JsonObject input = json.getAsJsonArray("__inputs").get(0).getAsJsonObject();
        assertEquals("DS_PROMETHEUS", GrafanaDashboard.string(input, "name"));
        assertEquals("datasource", GrafanaDashboard.string(input, "type"));
        assertEquals("prometheus", GrafanaDashboard.string(input, "pluginId"));

        Set<Integer> ids = new HashSet<>();
        int queried = 0;
        for (JsonObject p : d.panels()) {
            String where = "panel " + p.get("id") + " " + GrafanaDashboard.string(p, "title");
            assertTrue(ids.add(p.get("id").getAsInt()), "duplicate id: " + where);
            assertNotNull(GrafanaDashboard.string(p, "title"), where);
            JsonObject grid = p.getAsJsonObject("gridPos");
            assertTrue(
                    grid.get("w").getAsInt() >= 1
                            && grid.get("x").getAsInt() + grid.get("w").getAsInt() <= 24,
                    where);
            if ("row".equals(GrafanaDashboard.string(p, "type"))) continue;
            assertPrometheusInput(p.getAsJsonObject("datasource"), where);
            assertFalse(p.getAsJsonArray("targets").isEmpty(), where + " has no query");
            for (JsonElement t : p.getAsJsonArray("targets")) {
                assertPrometheusInput(t.getAsJsonObject().getAsJsonObject("datasource"), where);
                assertFalse(GrafanaDashboard.string(t.getAsJsonObject(), "expr").isBlank(), where);
                queried++;
            }
        }
        assertTrue(queried >= 40, "panels' queries: " + queried);
        for (JsonElement v : json.getAsJsonObject("templating").getAsJsonArray("list")) {
            assertPrometheusInput(v.getAsJsonObject().getAsJsonObject("datasource"), "variable " + v);
        }
    }

    private static void assertPrometheusInput(JsonObject datasource, String where) {
        assertNotNull(datasource, where + ": no datasource");
        assertEquals("prometheus", GrafanaDashboard.string(datasource, "type"), where);
        assertEquals(DATASOURCE, GrafanaDashboard.string(datasource, "uid"), where);
    }

    @Test
    void everyMetricItsQueriesNameIsServedByARealCluster() throws Exception {
        GrafanaDashboard dashboard = GrafanaDashboard.read(GrafanaDashboard.FILE);
        for (GrafanaDashboard.Query q : dashboard.queries())
            assertFalse(PromQlMetricNames.of(q.expr()).isEmpty(), q.where() + " names no metric: " + q.expr());

        Served served;
        try (TestCluster cluster = new TestCluster(
                        dir,
                        3,
                        2,
                        1,
                        gw -> gw.withMetricsListen("127.0.0.1:0"),
                        node -> node.withMetricsListen("127.0.0.1:0"));
                S3Client s3 = cluster.client()) {
            Coordinator coordinator = cluster.startCoordinator(Duration.ofDays(1));
            // as CoordinatorMain serves it with --metrics-listen
            try (MetricsServer coordinatorMetrics =
                    MetricsServer.start("127.0.0.1:0", coordinator.metrics(), () -> true)) {
                traffic(s3);
                List<String> targets = new ArrayList<>(cluster.metricsTargets());
                targets.add("127.0.0.1:" + coordinatorMetrics.port());
                assertEquals(6, targets.size(), "etcd, gateway, 3 nodes, coordinator: " + targets);
                served = awaitServed(targets, dashboard);
            }
        }

        Map<String, Set<String>> missing = unserved(dashboard, served.names());
        assertTrue(missing.isEmpty(), "metrics no process serves: " + missing);
        Set<String> withoutSeries = new TreeSet<>();
        unserved(dashboard, served.sampled()).values().forEach(withoutSeries::addAll);
        assertTrue(EVENT_ONLY.containsAll(withoutSeries), "declared but no series after the traffic: " + withoutSeries);

        // The check can fail: a made-up metric in one more query is reported, with where it sits.
        GrafanaDashboard.Query madeUp = new GrafanaDashboard.Query(
                "made-up", "sum(rate(basalt_gateway_requests_total[5m])) / sum(basalt_gateway_made_up_total)");
        GrafanaDashboard withMadeUp = new GrafanaDashboard(
                dashboard.json(),
                dashboard.panels(),
                java.util.stream.Stream.concat(dashboard.queries().stream(), java.util.stream.Stream.of(madeUp))
                        .toList());
        assertEquals(Map.of("made-up", Set.of("basalt_gateway_made_up_total")), unserved(withMadeUp, served.names()));
    }

    /** PUT, GET, LIST and a GET of a missing key through the AWS SDK, so labelled series exist. */
    private static void traffic(S3Client s3) {
        s3.createBucket(b -> b.bucket("dash"));
        s3.putObject(b -> b.bucket("dash").key("a"), RequestBody.fromBytes(new byte[100_000]));
        assertEquals(
                100_000, s3.getObjectAsBytes(b -> b.bucket("dash").key("a")).asByteArray().length);
        assertEquals(1, s3.listObjectsV2(b -> b.bucket("dash")).keyCount());
        assertThrows(
                NoSuchKeyException.class,
                () -> s3.getObjectAsBytes(b -> b.bucket("dash").key("missing")));
    }

    /**
     * Every series and family name the targets serve. The gateway counts
     * a request once its exchange completes, a little after the client's answer: scrape until the names the
     * dashboard wants are there or a few seconds passed.
     */
    private static Served awaitServed(List<String> targets, GrafanaDashboard dashboard) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            Served served = scrape(targets);
            Set<String> withoutSeries = new TreeSet<>();
            unserved(dashboard, served.sampled()).values().forEach(withoutSeries::addAll);
            if (EVENT_ONLY.containsAll(withoutSeries) || System.nanoTime() > deadline) return served;
            Thread.sleep(200);
        }
    }

    private static Served scrape(List<String> targets) throws Exception {
        Set<String> sampled = new TreeSet<>();
        Set<String> served = new TreeSet<>();
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (String target : targets) {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://" + target + "/metrics"))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), target);
                PrometheusText text = PrometheusText.parse(r.body());
                for (PrometheusText.Sample s : text.samples) sampled.add(s.name());
                served.addAll(sampled);
                // A declared family counts: a labelled counter such as basalt_node_corrupt_shards_total has
                // no series until its first event, and a histogram's series carry the suffixes.
                text.type.forEach((family, type) -> {
                    served.add(family);
                    if (type.equals("histogram"))
                        served.addAll(Set.of(family + "_bucket", family + "_sum", family + "_count"));
                    if (type.equals("summary")) served.addAll(Set.of(family + "_sum", family + "_count"));
                });
            }
        }
        return new Served(sampled, served);
    }

    /** Per query (where it sits), the metric names it uses that nothing served. */
    static Map<String, Set<String>> unserved(GrafanaDashboard dashboard, Set<String> served) {
        Map<String, Set<String>> missing = new LinkedHashMap<>();
        for (GrafanaDashboard.Query q : dashboard.queries()) {
            Set<String> names = new TreeSet<>(PromQlMetricNames.of(q.expr()));
            names.removeAll(served);
            names.removeAll(PROMETHEUS_SERIES);
            if (!names.isEmpty()) missing.put(q.where(), names);
        }
        return missing;
    }
}
