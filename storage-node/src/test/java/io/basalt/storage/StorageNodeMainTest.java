package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

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
            "--scrub-rate-mbps",
            "0",
            "--scrub-interval-hours",
            "0.5"
        });
        assertEquals(0, c.scrub().bytesPerSecond());
        assertEquals(Duration.ofMinutes(30), c.scrub().interval());
        assertEquals(
                Scrubber.Config.DEFAULT,
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
                        .scrub());
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
                    "--scrub-rate-mbps",
                    "fast"
                }));
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
}
