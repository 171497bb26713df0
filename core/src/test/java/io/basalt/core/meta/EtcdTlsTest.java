package io.basalt.core.meta;

import static io.basalt.core.meta.Etcd.bs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.tls.CertificateAuthority;
import io.basalt.core.tls.ClusterTls;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.Client;
import io.grpc.netty.GrpcSslContexts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd as Basalt runs it: TLS on the client port, and only clients with a certificate of the cluster CA get
 * in. Plaintext, no certificate and another CA's certificate are refused and change nothing.
 */
class EtcdTlsTest {

    @TempDir
    static Path dir;

    static Path tlsDir;
    static EtcdProcess etcd;
    static ClusterTls tls;

    @BeforeAll
    static void start() throws Exception {
        tlsDir = dir.resolve("tls");
        CertificateAuthority.create("ca", Duration.ofDays(1))
                .issue(tlsDir, "etcd", List.of("127.0.0.1"), Duration.ofDays(1));
        etcd = EtcdProcess.startWithTls(dir.resolve("etcd"), tlsDir);
        tls = ClusterTls.open(tlsDir);
    }

    @AfterAll
    static void stop() {
        if (etcd != null) etcd.close();
        if (tls != null) tls.close();
    }

    @Test
    void aClusterCertificateWritesAndReads() throws Exception {
        assertTrue(etcd.endpoint().startsWith("https://"));
        try (Client c = Etcd.connect(List.of(etcd.endpoint()), tls)) {
            c.getKVClient().put(bs("/t/ok"), bs("v")).get(10, TimeUnit.SECONDS);
            assertEquals(
                    "v",
                    c.getKVClient()
                            .get(bs("/t/ok"))
                            .get(10, TimeUnit.SECONDS)
                            .getKvs()
                            .getFirst()
                            .getValue()
                            .toString());
        }
    }

    /**
     * jetcd verifies each member against the host of its own endpoint, not the first endpoint's: a member
     * listed after an unreachable one, whose certificate names only its own address, is reached; one dialled
     * by a name its certificate lacks is refused (the check is on).
     */
    @Test
    void eachMemberIsCheckedAgainstItsOwnEndpointsName() throws Exception {
        int closed;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.2"))) {
            closed = s.getLocalPort();
        }
        // 127.0.0.2 first: were every member checked against the first endpoint's name, 127.0.0.1's
        // certificate (naming 127.0.0.1 only) would fail
        List<String> endpoints = List.of("https://127.0.0.2:" + closed, etcd.endpoint());
        try (Client c = Etcd.connect(endpoints, tls)) {
            c.getKVClient().put(bs("/t/second"), bs("v")).get(30, TimeUnit.SECONDS);
        }
        String byName = etcd.endpoint().replace("127.0.0.1", "localhost");
        assertRefused(Etcd.connect(List.of(byName), tls), "/t/byname");
    }

    @Test
    void plaintextIsRefused() throws Exception {
        String plain = etcd.endpoint().replace("https://", "http://");
        assertRefused(Client.builder().endpoints(plain).build(), "/t/plain");
    }

    @Test
    void aClientWithoutACertificateIsRefused() throws Exception {
        var trustOnly = GrpcSslContexts.forClient()
                .trustManager(tlsDir.resolve(ClusterTls.CA_FILE).toFile())
                .build();
        assertRefused(
                Client.builder()
                        .endpoints(etcd.endpoint())
                        .sslContext(trustOnly)
                        .authority("127.0.0.1")
                        .build(),
                "/t/nocert");
    }

    @Test
    void anotherCasCertificateIsRefused() throws Exception {
        Path other = dir.resolve("other");
        CertificateAuthority.create("other", Duration.ofDays(1))
                .issue(other, "intruder", List.of("127.0.0.1"), Duration.ofDays(1));
        // it trusts etcd's CA, so it is etcd that must refuse it
        Files.copy(
                tlsDir.resolve(ClusterTls.CA_FILE),
                other.resolve(ClusterTls.CA_FILE),
                StandardCopyOption.REPLACE_EXISTING);
        try (ClusterTls intruder = ClusterTls.open(other)) {
            assertRefused(Etcd.connect(List.of(etcd.endpoint()), intruder), "/t/intruder");
        }
    }

    @Test
    void anEndpointWhoseSchemeContradictsTheTlsSettingIsNamed() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Etcd.connect(List.of(etcd.endpoint()), null));
        assertTrue(e.getMessage().contains("--cluster-tls"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> Etcd.connect(List.of(etcd.endpoint().replace("https", "http")), tls));
    }

    /** A put through {@code client} fails, and the key is absent for a client etcd admits. */
    private static void assertRefused(Client client, String key) throws Exception {
        try (client) {
            assertThrows(
                    Exception.class,
                    () -> client.getKVClient().put(bs(key), bs("x")).get(5, TimeUnit.SECONDS));
        }
        try (Client admitted = Etcd.connect(List.of(etcd.endpoint()), tls)) {
            assertEquals(
                    0,
                    admitted.getKVClient()
                            .get(bs(key))
                            .get(10, TimeUnit.SECONDS)
                            .getCount());
        }
    }
}
