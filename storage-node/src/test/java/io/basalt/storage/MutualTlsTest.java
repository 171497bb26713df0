package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.core.shard.DataFrames;
import io.basalt.core.shard.RemoteShardReader;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardReadException;
import io.basalt.core.tls.CertificateAuthority;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.shard.DeleteShardRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storage node with the cluster's mutual TLS serves callers holding a certificate of the cluster CA and
 * nobody else: no certificate, another CA's, an expired one and plaintext are all refused, and the refused
 * writes leave nothing on disk. The same holds for its data port, where shards are read without gRPC. A client
 * refuses a node whose certificate names another host.
 */
class MutualTlsTest {

    @TempDir
    static Path certs;

    static CertificateAuthority clusterCa;
    static Path nodeTls;
    static Path clientTls;

    @TempDir
    Path dataDir;

    StorageNode node;
    ClusterTls client;

    @BeforeAll
    static void issueCertificates() throws IOException {
        clusterCa = CertificateAuthority.create("test-cluster-ca", Duration.ofDays(1));
        nodeTls = certs.resolve("node");
        clusterCa.issue(nodeTls, "node-1", List.of("127.0.0.1"), Duration.ofDays(1));
        clientTls = certs.resolve("gateway");
        clusterCa.issue(clientTls, "gateway-1", List.of("127.0.0.1"), Duration.ofDays(1));
    }

    @BeforeEach
    void startNode() throws IOException {
        node = StorageNode.start(StorageNodeConfig.local("n1", List.of(dataDir)).withClusterTls(nodeTls));
        client = ClusterTls.open(clientTls);
    }

    @AfterEach
    void stop() {
        client.close();
        node.close();
    }

    @Test
    void aCallerWithAClusterCertificateWritesReadsAndDeletes() throws Exception {
        byte[] data = new byte[3_000_000];
        new Random(7).nextBytes(data);
        try (ShardClient c = new ShardClient(node.port(), client.clientContext())) {
            assertEquals(data.length, c.write("obj.s0", data, 64 << 10).getLength());
            assertArrayEquals(data, c.read("obj.s0", 0, data.length));
        }
        // the cluster's own client, as gateways and coordinators use it
        try (ShardClients shards = new ShardClients(client)) {
            long lent = ReadWindows.lentSoFar();
            try (RemoteShardReader in = RemoteShardReader.open(shards, record(), "obj.s0", 0, data.length, 10_000, 2)) {
                byte[] got = new byte[data.length];
                in.readFully(got, got.length);
                assertArrayEquals(data, got, "over the data port");
            }
            if (DataFrames.DIRECT_FRAMES && node.store().dirs().getFirst().directIo()) {
                assertEquals(3, ReadWindows.lentSoFar() - lent, "sent from three read windows, through TLS");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (ReadWindows.inUse() != 0 && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(10);
            assertEquals(0, ReadWindows.inUse(), "every read window back once TLS encrypted its chunks");
            shards.blocking("127.0.0.1:" + node.port())
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .deleteShard(
                            DeleteShardRequest.newBuilder().setShardId("obj.s0").build());
        }
        assertEquals(List.of(), ShardInventory.of(dataDir));
    }

    @Test
    void aPlaintextCallerIsRefused() throws Exception {
        try (ShardClient c = new ShardClient(node.port())) {
            assertRefused(c);
        }
        try (ShardClients plaintext = new ShardClients()) {
            assertDataPortRefused(plaintext);
        }
    }

    @Test
    void aCallerWithoutACertificateIsRefused() throws Exception {
        SslContext noCertificate = GrpcSslContexts.forClient()
                .trustManager(nodeTls.resolve(ClusterTls.CA_FILE).toFile())
                .build();
        try (ShardClient c = new ShardClient(node.port(), noCertificate)) {
            assertRefused(c);
        }
        // the data port: a TLS client that trusts the cluster CA but offers no certificate gets no frame back
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var pem = Files.newInputStream(nodeTls.resolve(ClusterTls.CA_FILE))) {
            trust.setCertificateEntry(
                    "ca",
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(pem));
        }
        javax.net.ssl.TrustManagerFactory tmf =
                javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
        ctx.init(null, tmf.getTrustManagers(), null);
        String data = node.dataAddress();
        int port = Integer.parseInt(data.substring(data.lastIndexOf(':') + 1));
        try (javax.net.ssl.SSLSocket s =
                (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            byte[] request = io.basalt.proto.shard.ReadShardRequest.newBuilder()
                    .setShardId("x.s0")
                    .build()
                    .toByteArray();
            int answer;
            try {
                var out = new java.io.DataOutputStream(s.getOutputStream());
                out.writeByte(io.basalt.core.shard.DataFrames.READ);
                out.writeInt(request.length);
                out.write(request);
                out.flush();
                answer = s.getInputStream().read();
            } catch (IOException refused) {
                answer = -1; // the handshake or the connection failed: refused
            }
            assertEquals(-1, answer, "no frame for a caller without a certificate");
        }
    }

    @Test
    void aCertificateOfAnotherCaIsRefused() throws Exception {
        CertificateAuthority other = CertificateAuthority.create("other-ca", Duration.ofDays(1));
        Path dir = certs.resolve("intruder");
        other.issue(dir, "gateway-1", List.of("127.0.0.1"), Duration.ofDays(1));
        // it trusts the cluster CA, so it is the node that must refuse it
        Files.copy(
                nodeTls.resolve(ClusterTls.CA_FILE),
                dir.resolve(ClusterTls.CA_FILE),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertRefusedWith(dir);
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        Path dir = certs.resolve("expired");
        Instant now = Instant.now();
        clusterCa.issue(dir, "gateway-1", List.of("127.0.0.1"), now.minus(Duration.ofDays(2)), now.minusSeconds(60));
        assertRefusedWith(dir);
    }

    @Test
    void aClientRefusesANodeWhoseCertificateNamesAnotherHost() throws Exception {
        node.close();
        Path elsewhere = certs.resolve("node-elsewhere");
        clusterCa.issue(elsewhere, "node-1", List.of("10.9.9.9", "node-1.example"), Duration.ofDays(1));
        node = StorageNode.start(StorageNodeConfig.local("n1", List.of(dataDir)).withClusterTls(elsewhere));
        try (ShardClient c = new ShardClient(node.port(), client.clientContext())) {
            assertRefused(c);
        }
        try (ShardClients shards = new ShardClients(client)) {
            assertDataPortRefused(shards);
        }
    }

    private void assertRefusedWith(Path tlsDir) throws Exception {
        try (ClusterTls tls = ClusterTls.open(tlsDir);
                ShardClient c = new ShardClient(node.port(), tls.clientContext());
                ShardClients shards = new ShardClients(tls)) {
            assertRefused(c);
            assertDataPortRefused(shards);
        }
    }

    private NodeRecord record() {
        return NodeRecord.newBuilder()
                .setNodeId("n1")
                .setAddress(node.address())
                .setDataAddress(node.dataAddress())
                .build();
    }

    /** A data-port read fails as unreachable, not as the missing shard it names: it never reached the store. */
    private void assertDataPortRefused(ShardClients shards) {
        ShardReadException e = assertThrows(ShardReadException.class, () -> {
            try (RemoteShardReader in = RemoteShardReader.open(shards, record(), "x.s0", 0, 10, 10_000, 2)) {
                in.readFully(new byte[10], 10);
            }
        });
        assertFalse(e.lost(), e.toString());
        assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(e.getCause()).getCode(), e.toString());
    }

    /** A write and a read both fail before reaching the node's store, and the data dir holds no shard. */
    private void assertRefused(ShardClient c) throws IOException {
        byte[] data = new byte[10_000];
        StatusRuntimeException write = assertThrows(StatusRuntimeException.class, () -> c.write("x.s0", data, 4096));
        assertEquals(Status.Code.UNAVAILABLE, write.getStatus().getCode(), write.toString());
        StatusRuntimeException stat = assertThrows(StatusRuntimeException.class, () -> c.stat("x.s0"));
        assertEquals(Status.Code.UNAVAILABLE, stat.getStatus().getCode(), stat.toString());
        assertEquals(List.of(), ShardInventory.of(dataDir));
    }
}
