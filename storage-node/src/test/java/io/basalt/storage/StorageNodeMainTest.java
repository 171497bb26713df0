package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.core.config.ServiceArgs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageNodeMainTest {
    @Test
    void parsesFlags() {
        StorageNodeConfig c = StorageNodeMain.parse(new String[] {
            "--id",
            "n7",
            "--listen",
            "0.0.0.0:9100",
            "--data",
            "/d1,/d2",
            "--etcd",
            "http://e1:2379,http://e2:2379",
            "--cluster-tls",
            "none",
            "--lease-ttl",
            "15"
        });
        assertEquals(
                new StorageNodeConfig(
                        "n7",
                        "0.0.0.0",
                        9100,
                        List.of(Path.of("/d1"), Path.of("/d2")),
                        "http://e1:2379,http://e2:2379",
                        "/basalt/",
                        Duration.ofSeconds(15)),
                c);
    }

    @Test
    void internalTlsIsNeverLeftOutByOmission() {
        String[] base = {"--id", "n", "--listen", "h:1", "--data", "/d", "--etcd", "http://e"};
        IllegalArgumentException missing =
                assertThrows(IllegalArgumentException.class, () -> StorageNodeMain.parse(base));
        assertEquals(true, missing.getMessage().contains("--cluster-tls"), missing.getMessage());
        String[] withTls = java.util.stream.Stream.concat(
                        java.util.Arrays.stream(base), java.util.stream.Stream.of("--cluster-tls", "/etc/basalt/tls"))
                .toArray(String[]::new);
        assertEquals(Path.of("/etc/basalt/tls"), StorageNodeMain.parse(withTls).clusterTls());
    }

    @Test
    void parsesScrubFlags() {
        StorageNodeConfig c = withRequiredFlags("--scrub-rate-mbps", "0", "--scrub-interval-hours", "0.5");
        assertEquals(0, c.scrub().bytesPerSecond());
        assertEquals(Duration.ofMinutes(30), c.scrub().interval());
        assertEquals(Duration.ofMinutes(1), c.scrub().initialDelay(), "the first pass a minute after start");
        assertEquals(
                Duration.ofSeconds(9),
                withRequiredFlags("--scrub-interval-hours", "0.0025").scrub().initialDelay(),
                "an interval shorter than a minute is also the wait for the first pass");
        assertEquals(Scrubber.Config.DEFAULT, withRequiredFlags().scrub());
        assertThrows(IllegalArgumentException.class, () -> withRequiredFlags("--scrub-rate-mbps", "fast"));
    }

    /** The node's config from its required flags and {@code more}. */
    private static StorageNodeConfig withRequiredFlags(String... more) {
        String[] required = {
            "--id", "n", "--listen", "h:1", "--data", "/d", "--etcd", "http://e", "--cluster-tls", "none"
        };
        String[] args = java.util.Arrays.copyOf(required, required.length + more.length);
        System.arraycopy(more, 0, args, required.length, more.length);
        return StorageNodeMain.parse(args);
    }

    @Test
    void parsesZoneDiskProbeAndMetricsFlags() {
        StorageNodeConfig c = StorageNodeMain.parse(new String[] {
            "--id",
            "n",
            "--listen",
            "h:1",
            "--data",
            "/d",
            "--etcd",
            "http://e",
            "--cluster-tls",
            "none",
            "--zone",
            "rack-2",
            "--disk-probe-seconds",
            "2.5",
            "--metrics-listen",
            "127.0.0.1:9300",
            "--disk-probe-timeout-seconds",
            "0.5"
        });
        assertEquals("rack-2", c.zone());
        assertEquals(Duration.ofMillis(2500), c.diskProbeInterval());
        assertEquals(Duration.ofMillis(500), c.diskProbeTimeout());
        assertEquals("127.0.0.1:9300", c.metricsListen());
        StorageNodeConfig d = StorageNodeMain.parse(new String[] {
            "--id", "n", "--listen", "h:1", "--data", "/d", "--etcd", "http://e", "--cluster-tls", "none"
        });
        assertEquals(StorageNodeConfig.DEFAULT_DISK_PROBE_INTERVAL, d.diskProbeInterval());
        assertEquals(StorageNodeConfig.DEFAULT_DISK_PROBE_TIMEOUT, d.diskProbeTimeout());
        assertThrows(
                IllegalArgumentException.class,
                () -> StorageNodeMain.parse(new String[] {
                    "--id",
                    "n",
                    "--listen",
                    "h:1",
                    "--data",
                    "/d",
                    "--etcd",
                    "http://e",
                    "--cluster-tls",
                    "none",
                    "--disk-probe-timeout-seconds",
                    "0"
                }));
        assertEquals(null, d.metricsListen(), "metrics are off unless asked for");
    }

    @Test
    void parsesZoneAndAdvertise() {
        StorageNodeConfig c = StorageNodeMain.parse(new String[] {
            "--id",
            "n",
            "--listen",
            "127.0.0.1:9100",
            "--data",
            "/d",
            "--etcd",
            "http://e",
            "--cluster-tls",
            "none",
            "--zone",
            "rack-2",
            "--advertise",
            "127.0.0.1:19100"
        });
        assertEquals("rack-2", c.zone());
        assertEquals("127.0.0.1:19100", c.advertise());
        assertEquals(
                null,
                StorageNodeMain.parse(new String[] {
                            "--id",
                            "n",
                            "--listen",
                            "h:1",
                            "--data",
                            "/d",
                            "--etcd",
                            "http://e",
                            "--cluster-tls",
                            "none"
                        })
                        .advertise());
        assertThrows(
                IllegalArgumentException.class,
                () -> StorageNodeMain.parse(new String[] {
                    "--id",
                    "n",
                    "--listen",
                    "h:1",
                    "--data",
                    "/d",
                    "--etcd",
                    "http://e",
                    "--cluster-tls",
                    "none",
                    "--advertise",
                    "no-port"
                }));
    }

    @Test
    void shardFormatIsTwoUnlessOneIsAskedFor() {
        String[] base = {"--id", "n", "--listen", "h:1", "--data", "/d", "--etcd", "http://e", "--cluster-tls", "none"};
        assertEquals(2, StorageNodeMain.parse(base).shardFormat());
        String[] one = java.util.stream.Stream.concat(
                        java.util.Arrays.stream(base), java.util.stream.Stream.of("--shard-format", "1"))
                .toArray(String[]::new);
        assertEquals(1, StorageNodeMain.parse(one).shardFormat());
        String[] three = one.clone();
        three[three.length - 1] = "3";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StorageNodeMain.parse(three));
        assertEquals(true, e.getMessage().contains("shard-format"), e.getMessage());
    }

    @Test
    void rejectsBadFlags() {
        assertThrows(IllegalArgumentException.class, () -> StorageNodeMain.parse(new String[] {"--id", "n"}));
        assertThrows(
                IllegalArgumentException.class,
                () -> StorageNodeMain.parse(new String[] {
                    "--id",
                    "n",
                    "--listen",
                    "h:1",
                    "--data",
                    "/d",
                    "--etcd",
                    "http://e",
                    "--cluster-tls",
                    "none",
                    "--bogus",
                    "x"
                }));
        assertThrows(
                IllegalArgumentException.class,
                () -> StorageNodeMain.parse(new String[] {
                    "--id",
                    "n",
                    "--listen",
                    "h:1",
                    "--data",
                    "/d",
                    "--etcd",
                    "http://e",
                    "--cluster-tls",
                    "none",
                    "--etcd-prefix",
                    "/no-slash"
                }));
    }

    @Test
    void aHostConfigFileGivesEveryFlagAndNamesTheKeyOfABadValue(@TempDir Path dir) throws java.io.IOException {
        Path config = dir.resolve("basalt.properties");
        java.nio.file.Files.writeString(config, """
                roles = storage-node, gateway
                etcd = https://10.77.1.2:2379,https://10.77.2.2:2379
                cluster-tls = /etc/basalt/tls
                storage-node.id = node-1
                storage-node.listen = 0.0.0.0:9100
                storage-node.advertise = 10.77.1.2:9100
                storage-node.data = /srv/basalt/d1,/srv/basalt/d2
                storage-node.zone = rack-1
                storage-node.scrub-rate-mbps = 20
                """);
        StorageNodeConfig c = ServiceArgs.parse(
                StorageNodeMain.FLAGS, new String[] {"--config", config.toString()}, StorageNodeMain::parse);
        assertEquals("node-1", c.nodeId());
        assertEquals(List.of(Path.of("/srv/basalt/d1"), Path.of("/srv/basalt/d2")), c.dataDirs());
        assertEquals("10.77.1.2:9100", c.advertise());
        assertEquals("rack-1", c.zone());
        assertEquals(Path.of("/etc/basalt/tls"), c.clusterTls());

        java.nio.file.Files.writeString(
                config,
                java.nio.file.Files.readString(config).replace("scrub-rate-mbps = 20", "scrub-rate-mbps = fast"));
        assertEquals(
                config + ": storage-node.scrub-rate-mbps must be a number, got fast",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ServiceArgs.parse(
                                        StorageNodeMain.FLAGS,
                                        new String[] {"--config", config.toString()},
                                        StorageNodeMain::parse))
                        .getMessage());
        assertEquals(
                "node-1",
                ServiceArgs.parse(
                                StorageNodeMain.FLAGS,
                                new String[] {"--config", config.toString(), "--scrub-rate-mbps", "5"},
                                StorageNodeMain::parse)
                        .nodeId(),
                "the command line's value replaces the file's bad one");
    }
}
