package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.config.BadFlag;
import io.basalt.core.config.ServiceArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayMainTest {
    private static final Map<String, String> NO_ENV = Map.of();

    @Test
    void parsesFlagsAndTakesCredentialsFromTheEnvironment() {
        GatewayConfig c = GatewayMain.config(
                new String[] {
                    "--listen",
                    "0.0.0.0:9000",
                    "--etcd",
                    "http://e0:2379,http://e1:2379",
                    "--cluster-tls",
                    "none",
                    "--ec",
                    "8+3",
                    "--metrics-listen",
                    "0.0.0.0:9090",
                    "--write-quorum",
                    "10",
                    "--io-timeout-ms",
                    "5000",
                    "--small-object-threshold",
                    "32768",
                    "--body-memory-mib",
                    "96"
                },
                Map.of("BASALT_ACCESS_KEY", "ak", "BASALT_SECRET_KEY", "sk")::get);
        assertEquals("0.0.0.0", c.host());
        assertEquals(9000, c.port());
        assertEquals(List.of("http://e0:2379", "http://e1:2379"), c.etcdEndpoints());
        assertEquals(8, c.dataShards());
        assertEquals(3, c.parityShards());
        assertEquals("0.0.0.0:9090", c.metricsListen());
        assertEquals(10, c.writeQuorum());
        assertEquals(5000, c.ioTimeoutMs());
        assertEquals(32768, c.smallObjectThreshold());
        assertEquals(96L << 20, c.effectiveBodyMemoryBytes());
        assertEquals(Optional.of("sk"), c.credentials().secretFor("ak"));
        assertEquals(null, c.clusterTls(), "none: plaintext to the storage nodes");
    }

    @Test
    void httpsTakesACertificateAndItsKeyTogether() {
        GatewayConfig https = GatewayMain.config(
                new String[] {"--cluster-tls", "none", "--tls-cert", "/etc/s3/tls.crt", "--tls-key", "/etc/s3/tls.key"},
                NO_ENV::get);
        assertEquals(java.nio.file.Path.of("/etc/s3/tls.crt"), https.tlsCert());
        assertEquals(java.nio.file.Path.of("/etc/s3/tls.key"), https.tlsKey());
        assertEquals("https", https.scheme());
        assertEquals(
                "http",
                GatewayMain.config(new String[] {"--cluster-tls", "none"}, NO_ENV::get)
                        .scheme());
        assertThrows(
                IllegalArgumentException.class,
                () -> GatewayMain.config(
                        new String[] {"--cluster-tls", "none", "--tls-cert", "/etc/s3/tls.crt"}, NO_ENV::get));
    }

    @Test
    void internalTlsIsNeverLeftOutByOmission() {
        IllegalArgumentException missing =
                assertThrows(IllegalArgumentException.class, () -> GatewayMain.config(new String[0], NO_ENV::get));
        assertEquals(true, missing.getMessage().contains("--cluster-tls"), missing.getMessage());
        assertEquals(
                java.nio.file.Path.of("/etc/basalt/tls"),
                GatewayMain.config(new String[] {"--cluster-tls", "/etc/basalt/tls"}, NO_ENV::get)
                        .clusterTls());
    }

    @Test
    void defaultsAreTheDevClustersLoopbackAndMinioadmin() {
        GatewayConfig c = GatewayMain.config(new String[] {"--cluster-tls", "none"}, NO_ENV::get);
        assertEquals("127.0.0.1", c.host());
        assertEquals(9000, c.port());
        assertEquals(Optional.of("minioadmin"), c.credentials().secretFor("minioadmin"));
        assertEquals(null, c.metricsListen(), "metrics are off unless asked for");
        assertEquals(GatewayConfig.DEFAULT_SMALL_OBJECT_THRESHOLD, c.smallObjectThreshold());
        assertEquals(Runtime.getRuntime().maxMemory() / 3, c.effectiveBodyMemoryBytes(), "a third of the heap");
    }

    @Test
    void theWellKnownSecretIsRefusedBeyondLoopbackUnlessAllowed() {
        String[] everywhere = {"--cluster-tls", "none", "--listen", "0.0.0.0:9000"};
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> GatewayMain.config(everywhere, NO_ENV::get));
        assertTrue(e.getMessage().contains("--allow-default-credentials"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> GatewayMain.config(everywhere, Map.of("BASALT_SECRET_KEY", "minioadmin")::get),
                "the same secret given explicitly");
        assertEquals(
                "0.0.0.0",
                GatewayMain.config(everywhere, Map.of("BASALT_SECRET_KEY", "a-real-secret")::get)
                        .host());
        GatewayConfig allowed = GatewayMain.config(
                new String[] {"--cluster-tls", "none", "--listen", "10.1.2.3:9000", "--allow-default-credentials"},
                NO_ENV::get);
        assertTrue(allowed.allowDefaultCredentials());
        for (String loopback : List.of("127.0.0.1", "127.0.0.2", "localhost", "[::1]")) {
            assertEquals(
                    Optional.of("minioadmin"),
                    GatewayMain.config(
                                    new String[] {"--cluster-tls", "none", "--listen", loopback + ":9000"}, NO_ENV::get)
                            .credentials()
                            .secretFor("minioadmin"),
                    loopback);
        }
    }

    @Test
    void aSecretOnTheCommandLineIsRefusedAndTheClusterKeyIsAFile() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> GatewayMain.config(
                        new String[] {"--cluster-tls", "none", "--secret-key", "s3cret"}, NO_ENV::get));
        assertTrue(e.getMessage().contains("BASALT_SECRET_KEY"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret"), "the refusal does not repeat the secret");
        assertEquals(
                java.nio.file.Path.of("/etc/basalt/cluster-key/key"),
                GatewayMain.config(
                                new String[] {"--cluster-tls", "none"},
                                Map.of("BASALT_CLUSTER_KEY_FILE", "/etc/basalt/cluster-key/key")::get)
                        .clusterKey());
        assertEquals(
                java.nio.file.Path.of("/k"),
                GatewayMain.config(new String[] {"--cluster-tls", "none", "--cluster-key", "/k"}, NO_ENV::get)
                        .clusterKey());
    }

    @Test
    void rejectsUnknownFlagsAndMalformedValues() {
        assertThrows(
                IllegalArgumentException.class,
                () -> GatewayMain.config(new String[] {"--metric-listen", "0.0.0.0:9090"}, NO_ENV::get));
        assertThrows(IllegalArgumentException.class, () -> GatewayMain.config(new String[] {"--listen"}, NO_ENV::get));
        assertThrows(
                IllegalArgumentException.class,
                () -> GatewayMain.config(new String[] {"--listen", "9000"}, NO_ENV::get));
        assertThrows(IllegalArgumentException.class, () -> GatewayMain.config(new String[] {"--ec", "4"}, NO_ENV::get));
        assertThrows(
                IllegalArgumentException.class,
                () -> GatewayMain.config(new String[] {"--ec", "4+2", "--write-quorum", "7"}, NO_ENV::get));
        assertThrows(
                IllegalArgumentException.class,
                () -> GatewayMain.config(new String[] {"--small-object-threshold", "-1"}, NO_ENV::get));
    }

    @Test
    void theRootKeyComesFromACredentialsFileOnlyItsOwnerReads(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("credentials");
        Files.writeString(file, "# generated\naccess-key = ops-root\nsecret-key = 7f3a9c2e1d\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        Map<String, String> env = Map.of("BASALT_ACCESS_KEY", "env-key", "BASALT_SECRET_KEY", "env-secret");
        String[] args = {"--cluster-tls", "none", "--credentials", file.toString()};
        GatewayConfig c = GatewayMain.config(args, env::get);
        assertEquals(Optional.of("7f3a9c2e1d"), c.credentials().secretFor("ops-root"));
        assertEquals(Optional.empty(), c.credentials().secretFor("env-key"), "the file, named explicitly, wins");
        String[] renamed = {"--cluster-tls", "none", "--credentials", file.toString(), "--access-key", "other-id"};
        assertEquals(
                Optional.of("7f3a9c2e1d"),
                GatewayMain.config(renamed, NO_ENV::get).credentials().secretFor("other-id"));

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        BadFlag everyone = assertThrows(BadFlag.class, () -> GatewayMain.config(args, NO_ENV::get));
        assertEquals("credentials", everyone.flag());
        assertTrue(everyone.getMessage().contains("readable by every user (rw-r--r--)"), everyone.getMessage());

        Files.writeString(file, "access-key=ops-root\nsecret 7f3a9c2e1d\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        BadFlag malformed = assertThrows(BadFlag.class, () -> GatewayMain.config(args, NO_ENV::get));
        assertTrue(malformed.getMessage().contains("line 2: expected key=value"), malformed.getMessage());
        assertFalse(malformed.getMessage().contains("7f3a9c2e1d"), "a secret is never repeated");
        Files.writeString(file, "access-key=ops-root\n");
        assertTrue(assertThrows(BadFlag.class, () -> GatewayMain.config(args, NO_ENV::get))
                .getMessage()
                .endsWith("lacks secret-key"));
    }

    @Test
    void everyFlagIsAHostConfigKeyAndABadValueNamesTheKeyAndFile(@TempDir Path dir) throws IOException {
        Path config = dir.resolve("basalt.properties");
        Files.writeString(config, """
                roles = gateway
                cluster-tls = none
                etcd = http://10.77.0.1:2379
                gateway.listen = 127.0.0.1:9000
                gateway.workers = many
                gateway.allow-default-credentials = true
                """);
        String[] args = {"--config", config.toString()};
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ServiceArgs.parse(GatewayMain.FLAGS, args, a -> GatewayMain.config(a, NO_ENV::get)));
        assertEquals(config + ": gateway.workers must be an integer, got many", e.getMessage());
        GatewayConfig c = ServiceArgs.parse(
                GatewayMain.FLAGS,
                new String[] {"--config", config.toString(), "--workers", "16"},
                a -> GatewayMain.config(a, NO_ENV::get));
        assertEquals(16, c.workerThreads(), "the command line wins");
        assertEquals(List.of("http://10.77.0.1:2379"), c.etcdEndpoints());
        assertTrue(c.allowDefaultCredentials());
    }
}
