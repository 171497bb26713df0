package io.basalt.chaos;

import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.Keys;
import io.basalt.core.secrets.AccessKeys;
import io.basalt.core.secrets.ClusterKey;
import io.basalt.core.shard.RemoteShardReader;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardReadException;
import io.basalt.core.tls.CertificateAuthority;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.meta.BucketGrant;
import io.basalt.proto.meta.NodeRecord;
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
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

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
                    String data = "127.0.0.1:" + c.proxy(i).port(1);
                    refused += refusedByDataPort(h, plaintext, data, shard, "plaintext");
                    refused += refusedByDataPort(h, withOtherCa, data, shard, "another CA's certificate");
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

    /** As {@link #refusedByNode}, on the node's data port: a read must fail unreachable, not be served. */
    private static int refusedByDataPort(History h, ShardClients clients, String address, String shard, String as) {
        NodeRecord node = NodeRecord.newBuilder()
                .setNodeId("intruded")
                .setAddress(address)
                .setDataAddress(address)
                .build();
        try (RemoteShardReader in = RemoteShardReader.open(clients, node, shard, 0, 1, 5_000, 1)) {
            in.readFully(new byte[1], 1);
            h.violation("fuzz: storage node data port " + address + " sent shard bytes to a caller with " + as);
            return 0;
        } catch (java.io.IOException e) {
            // refused at the handshake (UNAVAILABLE); NOT_FOUND or another status would mean it was served
            if (!(e instanceof ShardReadException)
                    || io.grpc.Status.fromThrowable(e.getCause()).getCode() != io.grpc.Status.Code.UNAVAILABLE) {
                h.violation("fuzz: storage node data port " + address + " answered a caller with " + as + ": " + e);
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

    /**
     * A key allowed read and write in a bucket of its own, trying the workload's bucket: GET, HEAD, LIST,
     * PUT, DELETE, a copy out of it and DeleteBucket must all answer 403 and change nothing. Its key
     * must work in its own bucket within a second of being stored (the etcd watch into the gateways'
     * cache). Returns the number of calls refused.
     */
    static int limitedKey(ProcessCluster c, History h, S3Client root, String bucket) {
        long start = System.nanoTime();
        String own = "fuzz-limited-" + Long.toHexString(System.nanoTime());
        root.createBucket(b -> b.bucket(own));
        List<S3Object> listed =
                root.listObjectsV2(b -> b.bucket(bucket).maxKeys(5)).contents();
        String victim = listed.isEmpty() ? "absent" : listed.getFirst().key();
        int refused = 0;
        try (Client etcd = c.etcdClient();
                EtcdMetadata meta = EtcdMetadata.over(etcd, Keys.defaults())) {
            AccessKeys.Issued key =
                    AccessKeys.issue("fuzz", ClusterKey.load(c.clusterKeyFile()), System.currentTimeMillis());
            String id = key.record().getAccessKeyId();
            meta.access().create(key.record());
            meta.access()
                    .grant(
                            own,
                            id,
                            BucketGrant.newBuilder()
                                    .setRead(true)
                                    .setWrite(true)
                                    .build());
            try (S3Client limited = Workload.client(c.endpoint(), id, key.secret())) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                while (true) {
                    try {
                        limited.listObjectsV2(b -> b.bucket(own));
                        break;
                    } catch (S3Exception e) {
                        if (System.nanoTime() > deadline) {
                            h.violation("fuzz: a new key with a grant was not usable within 1 s: " + e.getMessage());
                            break;
                        }
                    }
                }
                List<Runnable> attempts = List.of(
                        () -> limited.getObject(b -> b.bucket(bucket).key(victim)),
                        () -> limited.headObject(b -> b.bucket(bucket).key(victim)),
                        () -> limited.listObjectsV2(b -> b.bucket(bucket)),
                        () -> limited.putObject(
                                b -> b.bucket(bucket).key(Fuzz.PREFIX + "limited"), RequestBody.fromString("x")),
                        () -> limited.deleteObject(b -> b.bucket(bucket).key(victim)),
                        () -> limited.copyObject(b -> b.sourceBucket(bucket)
                                .sourceKey(victim)
                                .destinationBucket(own)
                                .destinationKey("stolen")),
                        () -> limited.deleteBucket(b -> b.bucket(bucket)));
                for (Runnable attempt : attempts) {
                    try {
                        attempt.run();
                        h.violation("fuzz: a key limited to " + own + " was served in " + bucket);
                    } catch (S3Exception e) {
                        if (e.statusCode() == 403) refused++;
                        else h.violation("fuzz: a key limited to " + own + " got " + e.statusCode() + ", not 403");
                    }
                }
                if (!root.listObjectsV2(b -> b.bucket(own)).contents().isEmpty())
                    h.violation("fuzz: a refused copy left an object in " + own);
            } finally {
                meta.access().delete(id);
            }
        } catch (Exception e) {
            h.violation("fuzz: the limited-key probe could not run: " + e);
        }
        h.fault("fuzz", refused + " calls of a key limited to another bucket refused", start, System.nanoTime());
        return refused;
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
