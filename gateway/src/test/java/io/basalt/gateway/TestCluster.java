package io.basalt.gateway;

import io.basalt.coordinator.Coordinator;
import io.basalt.core.meta.Etcd;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.core.secrets.ClusterKey;
import io.basalt.core.tls.CertificateAuthority;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.storage.ShardInventory;
import io.basalt.storage.StorageNode;
import io.basalt.storage.StorageNodeConfig;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * A real cluster for integration tests: an etcd process, storage nodes serving gRPC on real
 * ports with real data directories, and a gateway, all on 127.0.0.1, with mutual TLS between gateway
 * and nodes from a CA of its own (as {@code ./basalt dev} runs). The one in-process cluster
 * fixture: compat-tests runs its real clients against it through this module's test-jar, which
 * holds only this class (the gateway's own tests also reach into its fields).
 */
public final class TestCluster implements AutoCloseable {

    /** The gateway's default credentials ({@link GatewayConfig#local}) and the region clients sign for. */
    public static final String ACCESS_KEY = "minioadmin";

    public static final String SECRET_KEY = "minioadmin";
    public static final String REGION = "us-east-1";

    final Path dir;
    /** The cluster's TLS directory (ca.crt, tls.crt, tls.key), for clients of the nodes a test makes. */
    final Path tls;
    /** The cluster's certificates, for the etcd and node clients tests make ({@link #etcdClient}). */
    final ClusterTls clusterTls;
    /** Seals the access keys tests store in etcd; the gateway opens them with it. */
    final ClusterKey clusterKey;

    final EtcdProcess etcd;
    final List<StorageNode> nodes = new ArrayList<>();
    final List<StorageNodeConfig> nodeConfigs = new ArrayList<>();
    final Gateway gateway;
    final int k, m;
    private Coordinator coordinator;

    public TestCluster(Path dir, int nodeCount, int k, int m) throws Exception {
        this(dir, nodeCount, k, m, UnaryOperator.identity());
    }

    /** @param gatewayConfig adjusts the gateway's configuration (e.g. a domain for virtual-hosted style) */
    public TestCluster(Path dir, int nodeCount, int k, int m, UnaryOperator<GatewayConfig> gatewayConfig)
            throws Exception {
        this(dir, nodeCount, k, m, gatewayConfig, UnaryOperator.identity());
    }

    /** @param nodeConfig adjusts each storage node's configuration (e.g. a metrics listen address) */
    public TestCluster(
            Path dir,
            int nodeCount,
            int k,
            int m,
            UnaryOperator<GatewayConfig> gatewayConfig,
            UnaryOperator<StorageNodeConfig> nodeConfig)
            throws Exception {
        this.dir = dir;
        this.k = k;
        this.m = m;
        this.tls = dir.resolve("tls");
        // Ten years: compat-tests run some clusters in a JVM on a faked past clock (libfaketime), whose
        // certificates etcd, on the real clock, must still find valid.
        CertificateAuthority.create("test-cluster-ca", Duration.ofDays(3650))
                .issue(tls, "test-cluster", List.of("127.0.0.1"), Duration.ofDays(3650));
        this.clusterTls = ClusterTls.open(tls);
        this.clusterKey = ClusterKey.create(dir.resolve("cluster.key"));
        this.etcd = EtcdProcess.startWithTls(dir.resolve("etcd"), tls);
        Gateway gw = null;
        try {
            for (int i = 1; i <= nodeCount; i++) {
                Path data = Files.createDirectories(dir.resolve("node-" + i));
                StorageNodeConfig cfg = nodeConfig.apply(new StorageNodeConfig(
                                "node-" + i,
                                "127.0.0.1",
                                0,
                                List.of(data),
                                etcd.endpoint(),
                                "/basalt/",
                                Duration.ofSeconds(5))
                        .withClusterTls(tls));
                StorageNode node = StorageNode.start(cfg);
                nodes.add(node);
                nodeConfigs.add(cfg);
            }
            gw = Gateway.start(gatewayConfig.apply(GatewayConfig.local(0, etcd.endpoint(), k, m)
                    .withIoTimeoutMs(10_000)
                    .withClusterTls(tls)
                    .withClusterKey(dir.resolve("cluster.key"))));
            awaitLiveNodes(gw, nodeCount);
        } catch (Exception | Error e) {
            // no constructed object to close: stop what was started, or its ports and processes outlive the test
            if (gw != null) gw.close();
            nodes.forEach(StorageNode::close);
            etcd.close();
            clusterTls.close();
            throw e;
        }
        this.gateway = gw;
    }

    void awaitLiveNodes(int count) throws InterruptedException {
        awaitLiveNodes(gateway, count);
    }

    private static void awaitLiveNodes(Gateway gateway, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (gateway.membership().live().size() != count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("expected " + count + " live nodes, have "
                        + gateway.membership().live().keySet());
            }
            Thread.sleep(50);
        }
    }

    /** Stops node i (0-based) the hard way for a test: its server and its registration go away. */
    void stopNode(int i) {
        nodes.get(i).close();
    }

    /**
     * Freezes node i (0-based) as its peers see it: the node stops and its id is registered again
     * at {@code address} (a {@link BlackHole}), with no lease, so it stays "live" but never answers.
     */
    void freezeNode(int i, String address) throws Exception {
        stopNode(i);
        String id = nodeConfigs.get(i).nodeId();
        NodeRecord frozen = NodeRecord.newBuilder()
                .setNodeId(id)
                .setAddress(address)
                .setFreeBytes(1L << 40)
                .build();
        try (Client client = etcdClient()) {
            client.getKVClient()
                    .put(
                            ByteSequence.from("/basalt/nodes/" + id, StandardCharsets.UTF_8),
                            ByteSequence.from(frozen.toByteArray()))
                    .get();
        }
    }

    /** A client of the cluster's etcd (TLS, with the cluster's certificate); the caller closes it. */
    public Client etcdClient() {
        return Etcd.connect(List.of(etcd.endpoint()), clusterTls);
    }

    /** The cluster's metadata under the default prefix; the caller closes it. */
    public EtcdMetadata metadata() {
        return EtcdMetadata.connect(List.of(etcd.endpoint()), new Keys("/basalt/"), clusterTls);
    }

    /** The cluster's object records under the default prefix; the caller closes it. */
    public EtcdMetadataStore metadataStore() {
        return EtcdMetadataStore.connect(List.of(etcd.endpoint()), new Keys("/basalt/"), clusterTls);
    }

    /**
     * Starts a coordinator for this cluster (closed with it) whose lifecycle rules run every second on days
     * of {@code day}; garbage waits a minute, so no shard a test reads is collected under it.
     */
    public synchronized Coordinator startCoordinator(Duration day) {
        if (coordinator != null) throw new IllegalStateException("a coordinator runs already");
        coordinator = Coordinator.start(
                new Coordinator.Config("test-coordinator", List.of(etcd.endpoint()), "/basalt/", Duration.ofMinutes(1))
                        .withClusterTls(tls)
                        .withLifecycle(new Coordinator.Config.LifecycleTiming(Duration.ofSeconds(1), day)));
        return coordinator;
    }

    /**
     * Every metrics endpoint (HOST:PORT): etcd's, and the gateway's and running nodes' when configured with a
     * metrics listen address.
     */
    public List<String> metricsTargets() {
        List<String> out = new ArrayList<>();
        out.add("127.0.0.1:" + etcd.metricsPort());
        if (gateway.metricsPort() > 0) out.add("127.0.0.1:" + gateway.metricsPort());
        for (StorageNode n : nodes) if (n.metricsPort() > 0) out.add("127.0.0.1:" + n.metricsPort());
        return out;
    }

    /** Starts node i again on a new port with the same id and data. */
    void restartNode(int i) throws IOException {
        StorageNodeConfig old = nodeConfigs.get(i);
        nodes.set(i, StorageNode.start(old));
    }

    /** Every shard stored on node i (0-based): shard files and pack records. */
    List<ShardInventory.StoredShard> shards(int i) throws IOException {
        Path node = dir.resolve("node-" + (i + 1));
        return Files.isDirectory(node) ? ShardInventory.of(node) : List.of();
    }

    public String endpoint() {
        return gateway.scheme() + "://127.0.0.1:" + gateway.port();
    }

    /** The CA file that signed every certificate here, the gateway's HTTPS one too (see {@link #withHttps}). */
    public Path caFile() {
        return tls.resolve(ClusterTls.CA_FILE);
    }

    /** Serves the S3 port over HTTPS with the cluster's certificate (valid for 127.0.0.1). */
    public static UnaryOperator<GatewayConfig> withHttps(Path dir) {
        Path certs = dir.resolve("tls");
        return gw -> gw.withTls(certs.resolve(ClusterTls.CERT_FILE), certs.resolve(ClusterTls.KEY_FILE));
    }

    /** The gateway's S3 port on 127.0.0.1. */
    public int port() {
        return gateway.port();
    }

    public S3Client client() {
        return client(ACCESS_KEY, SECRET_KEY);
    }

    S3Client client(String access, String secret) {
        if (!endpoint().startsWith("https")) return client(endpoint(), access, secret);
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint()))
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(access, secret)))
                .serviceConfiguration(
                        S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .httpClient(software.amazon.awssdk.http.apache5.Apache5HttpClient.builder()
                        .tlsTrustManagersProvider(() -> trusting(caFile()))
                        .build())
                .overrideConfiguration(
                        c -> c.apiCallTimeout(Duration.ofMinutes(5)).retryStrategy(r -> r.maxAttempts(1)))
                .build();
    }

    /** Trust managers that trust {@code caFile}'s certificates and nothing else. */
    public static javax.net.ssl.TrustManager[] trusting(Path caFile) {
        try (var in = Files.newInputStream(caFile)) {
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (var cert :
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            javax.net.ssl.TrustManagerFactory f = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
            f.init(store);
            return f.getTrustManagers();
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust " + caFile, e);
        }
    }

    public static S3Client client(String endpoint, String access, String secret) {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint))
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(access, secret)))
                .serviceConfiguration(
                        S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_SUPPORTED)
                .overrideConfiguration(
                        c -> c.apiCallTimeout(Duration.ofMinutes(5)).retryStrategy(r -> r.maxAttempts(1)))
                .build();
    }

    @Override
    public void close() {
        if (coordinator != null) coordinator.close();
        gateway.close();
        for (StorageNode n : nodes) {
            try {
                n.close();
            } catch (RuntimeException ignored) {
                // already stopped by the test
            }
        }
        etcd.close();
        clusterTls.close();
    }
}
