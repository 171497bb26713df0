package io.basalt.chaos;

import io.basalt.core.shard.ShardClients;
import io.basalt.core.tls.CertificateAuthority;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.shard.StatShardRequest;
import io.basalt.storage.ShardInventory;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.grpc.netty.GrpcSslContexts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Callers on the cluster network without a cluster certificate, as an attacker who reached the ports would
 * be: plaintext, and a certificate of another CA, against every running storage node (reading a real shard's
 * metadata), and etcd without a client certificate (registering a fake node). Each must be refused; anything
 * served is a violation.
 */
final class Intruders {

    static final String FAKE_NODE_KEY = "/basalt/nodes/fuzz-intruder";

    private Intruders() {}

    static void probe(ProcessCluster c, History h) {
        long start = System.nanoTime();
        int refused = 0;
        try {
            Path foreign = foreignCertificate(c);
            try (ShardClients plaintext = new ShardClients();
                    ClusterTls otherCa = ClusterTls.open(foreign);
                    ShardClients withOtherCa = new ShardClients(otherCa)) {
                for (int i = 0; i < c.nodeCount(); i++) {
                    if (!c.nodeRunning(i)) continue;
                    List<ShardInventory.StoredShard> stored = c.shards(i);
                    String shard = stored.isEmpty()
                            ? "fuzz-intruder.s0"
                            : stored.getFirst().id();
                    String address = "127.0.0.1:" + c.proxy(i).port();
                    refused += refusedByNode(h, plaintext, address, shard, "plaintext");
                    refused += refusedByNode(h, withOtherCa, address, shard, "another CA's certificate");
                }
            }
            refused += refusedByEtcd(c, h);
        } catch (Exception e) {
            h.violation("fuzz: the intruder probe could not run: " + e);
        }
        h.fault("fuzz", refused + " calls without a cluster certificate refused", start, System.nanoTime());
    }

    private static int refusedByNode(History h, ShardClients clients, String address, String shard, String as) {
        try {
            clients.blocking(address)
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .statShard(StatShardRequest.newBuilder().setShardId(shard).build());
            h.violation("fuzz: storage node " + address + " answered a caller with " + as);
            return 0;
        } catch (io.grpc.StatusRuntimeException e) {
            // refused at the handshake (UNAVAILABLE); NOT_FOUND would mean it was served
            if (e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE) {
                h.violation("fuzz: storage node " + address + " served a caller with " + as + ": " + e.getStatus());
                return 0;
            }
            return 1;
        }
    }

    private static int refusedByEtcd(ProcessCluster c, History h) throws Exception {
        ByteSequence key = ByteSequence.from(FAKE_NODE_KEY, StandardCharsets.UTF_8);
        var trustOnly = GrpcSslContexts.forClient()
                .trustManager(c.tlsDir().resolve(ClusterTls.CA_FILE).toFile())
                .build();
        try (Client anonymous = Client.builder()
                .endpoints(c.etcdEndpoints().toArray(String[]::new))
                .sslContext(trustOnly)
                .authority("127.0.0.1")
                .build()) {
            anonymous
                    .getKVClient()
                    .put(key, ByteSequence.from("fake", StandardCharsets.UTF_8))
                    .get(5, TimeUnit.SECONDS);
            h.violation("fuzz: etcd took a write from a client without a certificate");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // refused
        }
        try (Client admitted = c.etcdClient()) {
            if (admitted.getKVClient().get(key).get(10, TimeUnit.SECONDS).getCount() != 0) {
                h.violation("fuzz: a node record written without a certificate is in etcd");
                return 0;
            }
        }
        return 1;
    }

    /** A certificate for 127.0.0.1 from a CA of the intruder's own, trusting the cluster's CA (to reach the node). */
    private static Path foreignCertificate(ProcessCluster c) throws Exception {
        Path dir = c.config().dir().resolve("intruder-tls");
        CertificateAuthority.create("intruder-ca", Duration.ofDays(30))
                .issue(dir, "gateway-1", List.of("127.0.0.1"), Duration.ofDays(30));
        Files.copy(
                c.tlsDir().resolve(ClusterTls.CA_FILE),
                dir.resolve(ClusterTls.CA_FILE),
                StandardCopyOption.REPLACE_EXISTING);
        return dir;
    }
}
