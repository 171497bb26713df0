package io.basalt.gateway;

import io.basalt.gateway.auth.Credentials;
import java.util.List;

/**
 * Everything a gateway needs to start. {@code domain} (optional, e.g. {@code s3.local}) turns on
 * virtual-hosted-style addressing for hosts {@code <bucket>.<domain>}; null means path-style only.
 * {@code minPartSize} is S3's 5 MiB; tests lower it to exercise 1000-part uploads cheaply.
 * {@code metricsListen} (HOST:PORT, null for none) serves Prometheus metrics on a port of its own,
 * apart from the S3 port, where /metrics would be a bucket name.
 * {@code writeQuorum} is the number of durable shards a write needs, between k and k+m; 0 means
 * the default k+1 (k when m = 1): one more than k so that a single later loss cannot make a
 * freshly acknowledged object unreadable.
 * {@code shutdownGrace} is how long a stopping gateway lets requests in flight finish (new ones get
 * 503, which clients retry elsewhere); zero cuts them at once.
 * {@code smallObjectThreshold}: a PutObject or CopyObject of at most this many bytes is stored as
 * 1+m copies instead of k+m shards (see {@link io.basalt.core.data.Layouts}); 0 turns that off.
 * {@code clusterTls}: directory of the cluster's mutual TLS (ca.crt, tls.crt, tls.key) for the storage nodes'
 * gRPC; null talks plaintext to them.
 * {@code tlsCert}/{@code tlsKey}: PEM certificate chain and PKCS#8 key; with them the S3 port speaks HTTPS
 * (reloaded when the files change), without them HTTP.
 * {@code maxConnections}: open client connections at most; beyond it new ones wait to be accepted.
 * {@code clusterKey}: the file of the key that opens the access keys stored in etcd (see
 * {@link io.basalt.core.secrets.ClusterKey}); null serves the root key only.
 * {@code bodyMemoryBytes}: request-body bytes writes hold in memory at once at most (see
 * {@link io.basalt.core.data.BodyMemory}); 0 for a third of the heap.
 * {@code allowDefaultCredentials}: whether a gateway listening beyond loopback may run with the well-known
 * minioadmin secret; without it such a config is refused.
 */
public record GatewayConfig(
        String host,
        int port,
        List<String> etcdEndpoints,
        String etcdPrefix,
        int dataShards,
        int parityShards,
        int blockSize,
        Credentials credentials,
        int workerThreads,
        long ioTimeoutMs,
        long minPartSize,
        String domain,
        String metricsListen,
        int writeQuorum,
        java.time.Duration shutdownGrace,
        long smallObjectThreshold,
        java.nio.file.Path clusterTls,
        java.nio.file.Path tlsCert,
        java.nio.file.Path tlsKey,
        int maxConnections,
        java.nio.file.Path clusterKey,
        boolean allowDefaultCredentials,
        long bodyMemoryBytes) {

    public static final int DEFAULT_MAX_CONNECTIONS = 1024;

    public GatewayConfig {
        if (credentials.isWellKnown() && !allowDefaultCredentials && !isLoopback(host)) {
            throw new IllegalArgumentException("the root secret is the well-known minioadmin and --listen " + host
                    + " reaches beyond this machine: set BASALT_ACCESS_KEY / BASALT_SECRET_KEY (from a Secret), or"
                    + " pass --allow-default-credentials to accept that anyone who can reach the port owns the data");
        }
        if (bodyMemoryBytes < 0) throw new IllegalArgumentException("--body-memory-mib must be 0 (auto) or more");
        if (maxConnections < 1) throw new IllegalArgumentException("--max-connections must be at least 1");
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (writeQuorum != 0 && (writeQuorum < dataShards || writeQuorum > dataShards + parityShards)) {
            throw new IllegalArgumentException("--write-quorum must be between k and k+m (" + dataShards + ".."
                    + (dataShards + parityShards) + "), got " + writeQuorum);
        }
        if (shutdownGrace == null || shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("--shutdown-grace-seconds must be 0 or more, got " + shutdownGrace);
        }
        if (smallObjectThreshold < 0) {
            throw new IllegalArgumentException(
                    "--small-object-threshold must be 0 or more, got " + smallObjectThreshold);
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    public static final int DEFAULT_BLOCK_SIZE = 1 << 20;
    public static final long S3_MIN_PART_SIZE = 5L << 20;
    /** Measured with the bench's small workload: see README, "Small objects". */
    public static final long DEFAULT_SMALL_OBJECT_THRESHOLD = 64 << 10;

    public static GatewayConfig local(int port, String etcdEndpoint, int k, int m) {
        return new GatewayConfig(
                "127.0.0.1",
                port,
                List.of(etcdEndpoint),
                "/basalt/",
                k,
                m,
                DEFAULT_BLOCK_SIZE,
                Credentials.single("minioadmin", "minioadmin"),
                64,
                30_000,
                S3_MIN_PART_SIZE,
                null,
                null,
                0,
                java.time.Duration.ZERO,
                DEFAULT_SMALL_OBJECT_THRESHOLD,
                null,
                null,
                null,
                DEFAULT_MAX_CONNECTIONS,
                null,
                false,
                0);
    }

    public GatewayConfig withIoTimeoutMs(long ms) {
        return with(c -> c.ioTimeoutMs = ms);
    }

    public GatewayConfig withMinPartSize(long bytes) {
        return with(c -> c.minPartSize = bytes);
    }

    public GatewayConfig withMetricsListen(String hostPort) {
        return with(c -> c.metricsListen = hostPort);
    }

    public GatewayConfig withDomain(String d) {
        return with(c -> c.domain = d);
    }

    public GatewayConfig withWriteQuorum(int q) {
        return with(c -> c.writeQuorum = q);
    }

    public GatewayConfig withShutdownGrace(java.time.Duration grace) {
        return with(c -> c.shutdownGrace = grace);
    }

    public GatewayConfig withSmallObjectThreshold(long bytes) {
        return with(c -> c.smallObjectThreshold = bytes);
    }

    public GatewayConfig withClusterTls(java.nio.file.Path dir) {
        return with(c -> c.clusterTls = dir);
    }

    /** HTTPS on the S3 port with this certificate chain and key (PEM). */
    public GatewayConfig withTls(java.nio.file.Path cert, java.nio.file.Path key) {
        return with(c -> {
            c.tlsCert = cert;
            c.tlsKey = key;
        });
    }

    public GatewayConfig withMaxConnections(int n) {
        return with(c -> c.maxConnections = n);
    }

    /** Request-body bytes writes may hold in memory at once; 0 for a third of the heap. */
    public GatewayConfig withBodyMemoryBytes(long bytes) {
        return with(c -> c.bodyMemoryBytes = bytes);
    }

    /** The budget {@link #bodyMemoryBytes} names: as set, or a third of this JVM's heap. */
    public long effectiveBodyMemoryBytes() {
        return bodyMemoryBytes > 0 ? bodyMemoryBytes : Runtime.getRuntime().maxMemory() / 3;
    }

    /** The cluster key that opens the secrets of the access keys stored in etcd. */
    public GatewayConfig withClusterKey(java.nio.file.Path file) {
        return with(c -> c.clusterKey = file);
    }

    /** The scheme clients use for the S3 port. */
    public String scheme() {
        return tlsCert == null ? "http" : "https";
    }

    private GatewayConfig with(java.util.function.Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return f.config();
    }

    /** The fields of a config, changeable one at a time by the {@code with*} methods. */
    private static final class Fields {
        final String host;
        final int port;
        final List<String> etcdEndpoints;
        final String etcdPrefix;
        final int dataShards, parityShards, blockSize;
        final Credentials credentials;
        final int workerThreads;
        long ioTimeoutMs, minPartSize;
        String domain, metricsListen;
        int writeQuorum;
        java.time.Duration shutdownGrace;
        long smallObjectThreshold;
        java.nio.file.Path clusterTls, tlsCert, tlsKey;
        int maxConnections;
        java.nio.file.Path clusterKey;
        final boolean allowDefaultCredentials;
        long bodyMemoryBytes;

        Fields(GatewayConfig c) {
            host = c.host;
            port = c.port;
            etcdEndpoints = c.etcdEndpoints;
            etcdPrefix = c.etcdPrefix;
            dataShards = c.dataShards;
            parityShards = c.parityShards;
            blockSize = c.blockSize;
            credentials = c.credentials;
            workerThreads = c.workerThreads;
            ioTimeoutMs = c.ioTimeoutMs;
            minPartSize = c.minPartSize;
            domain = c.domain;
            metricsListen = c.metricsListen;
            writeQuorum = c.writeQuorum;
            shutdownGrace = c.shutdownGrace;
            smallObjectThreshold = c.smallObjectThreshold;
            clusterTls = c.clusterTls;
            tlsCert = c.tlsCert;
            tlsKey = c.tlsKey;
            maxConnections = c.maxConnections;
            clusterKey = c.clusterKey;
            allowDefaultCredentials = c.allowDefaultCredentials;
            bodyMemoryBytes = c.bodyMemoryBytes;
        }

        GatewayConfig config() {
            return new GatewayConfig(
                    host,
                    port,
                    etcdEndpoints,
                    etcdPrefix,
                    dataShards,
                    parityShards,
                    blockSize,
                    credentials,
                    workerThreads,
                    ioTimeoutMs,
                    minPartSize,
                    domain,
                    metricsListen,
                    writeQuorum,
                    shutdownGrace,
                    smallObjectThreshold,
                    clusterTls,
                    tlsCert,
                    tlsKey,
                    maxConnections,
                    clusterKey,
                    allowDefaultCredentials,
                    bodyMemoryBytes);
        }
    }
}
