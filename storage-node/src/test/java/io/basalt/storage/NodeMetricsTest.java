package io.basalt.storage;

import static io.basalt.storage.ShardServiceTest.randomBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.LiveDirs;
import io.basalt.testkit.PrometheusText;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real node's /metrics and /health, scraped over HTTP after real gRPC calls. */
class NodeMetricsTest {
    private static final int CHUNK = 1000;

    @TempDir
    Path tmp;

    StorageNode node;
    ShardClient client;
    final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        if (client != null) client.close();
        if (node != null) node.close();
    }

    @Test
    void shardTrafficScrubAndDataDirsAreCounted() throws Exception {
        Path d1 = tmp.resolve("d1");
        Path d2 = tmp.resolve("d2");
        node = StorageNode.start(StorageNodeConfig.local("n1", List.of(d1, d2))
                .withScrub(Scrubber.Config.DISABLED)
                .withDiskProbeInterval(Duration.ofMillis(100))
                .withMetricsListen("127.0.0.1:0"));
        client = new ShardClient(node.port());

        client.write("s.0", randomBytes(2500, 1), CHUNK);
        client.write("s.1", randomBytes(1200, 2), CHUNK);
        client.write("s.2", randomBytes(10, 3), CHUNK);
        client.read("s.0", 0, 0);
        client.read("s.1", 100, 500);
        assertThrows(StatusRuntimeException.class, () -> client.read("absent.0", 0, 0));
        client.delete("s.2");
        ShardFailureTest.flipByte(shardFile("s.1"), ShardFailureTest.dataByte(0, 10, CHUNK));
        assertThrows(StatusRuntimeException.class, () -> client.read("s.1", 0, 0));
        assertEquals(1, node.scrubber().runPass().corrupt());

        PrometheusText m = PrometheusText.parse(get("/metrics", 200));
        assertEquals(3, m.value("basalt_node_shard_writes_total", "code", "OK"));
        assertEquals(2, m.value("basalt_node_shard_reads_total", "code", "OK"));
        assertEquals(1, m.value("basalt_node_shard_reads_total", "code", "NOT_FOUND"));
        assertEquals(1, m.value("basalt_node_shard_reads_total", "code", "DATA_LOSS"));
        assertEquals(1, m.value("basalt_node_shard_deletes_total", "code", "OK"));
        assertEquals(2500 + 1200 + 10, m.value("basalt_node_write_bytes_total"));
        assertEquals(2500 + 500, m.value("basalt_node_read_bytes_total"));
        assertEquals(3, m.value("basalt_node_fsync_seconds_count"));
        assertEquals(3, m.value("basalt_node_fsync_seconds_bucket", "le", "+Inf"));
        assertTrue(m.value("basalt_node_fsync_seconds_sum") > 0);
        assertEquals(1, m.value("basalt_node_corrupt_shards_total", "found_by", "read"));
        assertEquals(1, m.value("basalt_node_corrupt_shards_total", "found_by", "scrub"));
        assertEquals(2, m.value("basalt_node_scrub_files_total"), "s.0 and the rotten s.1");
        assertEquals(2500, m.value("basalt_node_scrub_bytes_total"), "bytes verified before the rot stops the file");
        assertEquals(1, m.value("basalt_node_healthy"));
        for (Path d : List.of(d1, d2)) {
            assertEquals(1, m.value("basalt_node_data_dir_healthy", "dir", d.toString()));
            assertEquals(
                    Files.getFileStore(d).getTotalSpace(),
                    m.value("basalt_node_data_dir_total_bytes", "dir", d.toString()));
            assertTrue(m.value("basalt_node_data_dir_free_bytes", "dir", d.toString()) > 0);
        }
        assertEquals("ok\n", get("/health", 200));

        LiveDirs.delete(d2);
        DiskFailureTest.awaitTrue(
                () -> PrometheusText.parse(get("/metrics", 200))
                                .value("basalt_node_data_dir_healthy", "dir", d2.toString())
                        == 0,
                "d2 reported unhealthy");
        m = PrometheusText.parse(get("/metrics", 200));
        assertTrue(
                Double.isNaN(m.value("basalt_node_data_dir_free_bytes", "dir", d2.toString())),
                "no space for a failed dir");
        assertEquals(1, m.value("basalt_node_healthy"));
        LiveDirs.delete(d1);
        DiskFailureTest.awaitTrue(() -> get("/health", -1).equals("unhealthy\n"), "node unhealthy");
        assertEquals(0, PrometheusText.parse(get("/metrics", 200)).value("basalt_node_healthy"));
    }

    /** The body; {@code status} -1 accepts any. */
    private String get(String path, int status) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.metricsPort() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (status >= 0) assertEquals(status, r.statusCode(), path);
        return r.body();
    }

    private Path shardFile(String id) {
        return node.store().locate(id).orElseThrow().file();
    }
}
