package io.basalt.gateway;

import io.basalt.core.cluster.Membership;
import io.basalt.core.data.BodyMemory;
import io.basalt.core.data.DataPath;
import io.basalt.core.data.Layouts;
import io.basalt.core.erasure.ReedSolomon;
import io.basalt.core.meta.ClusterMetadata;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.metrics.MetricRegistry;
import io.basalt.core.metrics.MetricsServer;
import io.basalt.core.secrets.ClusterKey;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.tls.ClusterTls;
import io.basalt.core.tls.ServerCertificate;
import io.basalt.gateway.auth.AccessCache;
import io.basalt.gateway.auth.Credentials;
import io.basalt.gateway.auth.Permissions;
import io.basalt.gateway.auth.SigV4;
import io.basalt.gateway.handlers.AdminInfoHandler;
import io.basalt.gateway.handlers.S3Context;
import io.basalt.proto.meta.ErasureLayout;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** A running S3 gateway: Undertow in front, etcd and the storage nodes behind. */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(Gateway.class);
    /** How long a write waits for its share of the body memory before it answers SlowDown. */
    static final long BODY_MEMORY_WAIT_MS = 2_000;

    private final Undertow server;
    private final ClusterMetadata metadata;
    private final Membership membership;
    private final ShardClients clients;
    private final ClusterTls tls; // null: plaintext to the nodes and etcd
    private final ServerCertificate certificate; // null: HTTP on the S3 port
    private final AccessCache accessCache;
    private final GatewayMetrics metrics;
    private final MetricsServer metricsServer; // null without --metrics-listen
    private final GracefulShutdownHandler inFlight;
    private final Duration shutdownGrace;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private Gateway(
            Undertow server,
            GracefulShutdownHandler inFlight,
            Duration shutdownGrace,
            ClusterMetadata metadata,
            Membership membership,
            ShardClients clients,
            ClusterTls tls,
            ServerCertificate certificate,
            AccessCache accessCache,
            GatewayMetrics metrics,
            MetricsServer metricsServer) {
        this.server = server;
        this.inFlight = inFlight;
        this.shutdownGrace = shutdownGrace;
        this.metadata = metadata;
        this.membership = membership;
        this.clients = clients;
        this.tls = tls;
        this.certificate = certificate;
        this.accessCache = accessCache;
        this.metrics = metrics;
        this.metricsServer = metricsServer;
    }

    /**
     * Publishes the nodes this gateway suspects to etcd, each for as long as the suspicion lasts, so
     * {@code admin status} shows which node the gateways are routing around and why. Reporters are
     * named by host and process: several gateways may run on one host.
     */
    private static void publishSuspicions(DataPath data, ClusterMetadata metadata) {
        String host = System.getenv().getOrDefault("HOSTNAME", "localhost");
        String reporter = "gateway@" + host + "-" + ProcessHandle.current().pid();
        data.suspicion()
                .onSuspected((nodeId, reason, holdMs) -> metadata.admin()
                        .reportSuspect(nodeId, reporter, reason, Duration.ofMillis(holdMs))
                        .exceptionally(e -> {
                            log.warn("cannot publish the suspicion of {} to etcd: {}", nodeId, e.toString());
                            return null;
                        }));
    }

    /**
     * The cluster key in {@code file}; none when no file is named or the named one is absent (an optional
     * Kubernetes Secret not created): the stored keys are then refused, which the log says. A file that
     * is there but is no key stops the gateway.
     */
    private static ClusterKey clusterKey(java.nio.file.Path file) throws java.io.IOException {
        if (file == null) return null;
        if (!java.nio.file.Files.exists(file)) {
            log.warn("no cluster key at {}: only the root key is served", file);
            return null;
        }
        return ClusterKey.load(file);
    }

    public static Gateway start(GatewayConfig cfg) {
        Keys keys = new Keys(cfg.etcdPrefix());
        ClusterTls tls;
        ClusterKey clusterKey;
        try {
            clusterKey = clusterKey(cfg.clusterKey());
            tls = cfg.clusterTls() == null ? null : ClusterTls.open(cfg.clusterTls());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        ShardClients clients = new ShardClients(tls);
        ClusterMetadata metadata = EtcdMetadata.connect(cfg.etcdEndpoints(), keys, tls);
        MetadataStore meta = metadata.store();
        Membership membership = Membership.start(metadata.nodes(), metadata.admin());
        ErasureLayout layout = ErasureLayout.newBuilder()
                .setK(cfg.dataShards())
                .setM(cfg.parityShards())
                .setBlockSize(cfg.blockSize())
                .build();
        DataPath data = new DataPath(
                membership,
                clients,
                new Layouts(layout, cfg.smallObjectThreshold()),
                cfg.writeQuorum(),
                cfg.ioTimeoutMs(),
                new BodyMemory(cfg.effectiveBodyMemoryBytes(), BODY_MEMORY_WAIT_MS));
        publishSuspicions(data, metadata);
        AdminInfoHandler admin = new AdminInfoHandler(membership, metadata::clusterId);
        GatewayMetrics metrics = new GatewayMetrics();
        metrics.registry.gauge(
                "basalt_gateway_live_nodes",
                "Storage nodes this gateway sees live.",
                () -> membership.live().size());
        metrics.registry.gauge(
                "basalt_gateway_suspected_nodes",
                "Storage nodes this gateway avoids for now, having found them failed or late.",
                () -> data.suspicion().suspectedCount());
        metrics.registry.gauge(
                "basalt_gateway_body_memory_bytes",
                "Request-body bytes writes hold in memory now (reserved from --body-memory-mib).",
                () -> data.bodyMemory().usedBytes());
        metrics.registry.gauge(
                "basalt_gateway_body_memory_lingering_bytes",
                "Bytes held by writes answered already that still wait for a slow node's shards (half the limit at most).",
                () -> data.bodyMemory().lingeringBytes());
        metrics.registry.gauge(
                "basalt_gateway_body_memory_limit_bytes",
                "The request-body memory budget.",
                () -> data.bodyMemory().capacityBytes());
        metrics.registry.counter(
                "basalt_gateway_read_hedges_total",
                "Reads that asked another shard or copy because the first had not answered within the hedge delay.",
                data.tails()::hedges);
        metrics.registry.counter(
                "basalt_gateway_read_hedges_won_total",
                "Hedged reads that the other shard or copy served.",
                data.tails()::hedgesWon);
        metrics.registry.counter(
                "basalt_gateway_write_shards_dropped_late_total",
                "Shards a write gave up on, to be healed, for trailing its durable quorum past the grace (3 s once answered).",
                data.tails()::droppedLate);
        metrics.registry.counter(
                "basalt_gateway_write_quorum_segments_total",
                "Segments written that reached their write quorum.",
                data.tails()::quorumWrites);
        metrics.registry.counter(
                "basalt_gateway_write_wait_past_quorum_microseconds_total",
                "Time segment writes spent after their quorum was durable waiting for their other shards.",
                data.tails()::microsPastQuorum);
        metrics.registry.counter(
                "basalt_gateway_write_settled_after_answer_total",
                "Committed writes answered before their other shards settled, those being on nodes found slow just before.",
                data.tails()::settledAfterAnswer);
        metrics.registry.counter(
                "basalt_gateway_write_shards_kept_late_total",
                "Shards durable past the grace and kept, not healed, by writes answered already (which wait longer).",
                data.tails()::keptLate);
        AccessCache accessCache = new AccessCache(metadata.access(), clusterKey);
        if (clusterKey == null) {
            log.info(
                    "access keys: the root key only (no --cluster-key, so keys made by `basalt admin key` are refused)");
        } else {
            log.info("access keys: the root key and those in etcd sealed with cluster key {}", clusterKey.id());
        }
        Credentials rootKey = cfg.credentials();
        S3Router router = new S3Router(
                new S3Context(meta, data, metadata.access(), new Permissions(rootKey, accessCache), cfg.minPartSize()),
                // the root key first: a stored key cannot take its name
                new SigV4(id -> rootKey.secretFor(id).or(() -> accessCache.secretFor(id)), Clock.systemUTC()),
                "basalt",
                cfg.domain(),
                admin,
                metrics);
        Health health = new Health(meta, membership, data.writeQuorum());
        HttpHandler s3 = new BlockingHandler(router);
        // Counts requests in flight so a stopping gateway can let them finish (see close).
        GracefulShutdownHandler root = Handlers.gracefulShutdown(ex -> {
            S3Router.stamp(ex);
            if (Health.isHealthPath(ex.getRequestPath())) health.handleRequest(ex);
            else s3.handleRequest(ex);
        });
        ServerCertificate certificate;
        try {
            certificate = cfg.tlsCert() == null ? null : ServerCertificate.open(cfg.tlsCert(), cfg.tlsKey());
        } catch (java.io.IOException e) {
            accessCache.close();
            membership.close();
            clients.close();
            metadata.close();
            if (tls != null) tls.close();
            throw new IllegalStateException(e.getMessage(), e);
        }
        Undertow.Builder listener = certificate == null
                ? Undertow.builder().addHttpListener(cfg.port(), cfg.host())
                : Undertow.builder().addHttpsListener(cfg.port(), cfg.host(), certificate.sslContext());
        Undertow server = listener.setWorkerThreads(cfg.workerThreads())
                // 64 KiB direct buffers (Undertow picks 16 KiB in a 256 MiB heap): a quarter of the reads and
                // copies per body byte; a connection holds one while it reads, so memory stays bounded.
                .setBufferSize(64 << 10)
                .setDirectBuffers(true)
                // Paths and queries are decoded by S3Request: SigV4 needs them exactly as sent.
                .setServerOption(UndertowOptions.DECODE_URL, false)
                .setServerOption(UndertowOptions.ALLOW_ENCODED_SLASH, true)
                .setServerOption(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, true)
                .setServerOption(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, false)
                .setServerOption(UndertowOptions.ALWAYS_SET_DATE, false) // S3Router writes Date (HttpDates)
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, -1L)
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, 120_000)
                // A client silent mid-request (a stalled body) would hold a worker thread and k+m open shard
                // streams for ever. The gateway's own waits on storage end within the I/O timeout, so a read
                // from the client that waits twice that long fails (S3 says RequestTimeout) and the PUT is dropped.
                .setSocketOption(org.xnio.Options.READ_TIMEOUT, idleTimeoutMs(cfg))
                // A client trickling its request head a byte at a time never trips the read timeout: the head
                // must be complete within the same time.
                .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, idleTimeoutMs(cfg))
                // At the cap the gateway stops accepting (new connections wait in the backlog) until one closes:
                // each connection may hold a buffer, a worker and a request's shard streams.
                .setSocketOption(org.xnio.Options.CONNECTION_HIGH_WATER, cfg.maxConnections())
                .setSocketOption(org.xnio.Options.CONNECTION_LOW_WATER, cfg.maxConnections())
                .setHandler(root)
                .build();
        server.start();
        MetricsServer metricsServer = null;
        if (cfg.metricsListen() != null) {
            try {
                // /health here is liveness; readiness stays on the S3 port's /minio/health/ready
                metricsServer = MetricsServer.start(cfg.metricsListen(), metrics.registry, () -> true);
            } catch (java.io.IOException | RuntimeException e) {
                server.stop();
                accessCache.close();
                membership.close();
                clients.close();
                metadata.close();
                if (tls != null) tls.close();
                if (certificate != null) certificate.close();
                throw new IllegalStateException("cannot serve metrics on " + cfg.metricsListen(), e);
            }
        }
        Gateway g = new Gateway(
                server,
                root,
                cfg.shutdownGrace(),
                metadata,
                membership,
                clients,
                tls,
                certificate,
                accessCache,
                metrics,
                metricsServer);
        Thread.ofPlatform()
                .daemon()
                .name("codec-warm-up")
                .start(() -> ReedSolomon.warmUp(
                        cfg.dataShards(), cfg.parityShards(), Math.max(1, cfg.blockSize() / cfg.dataShards())));
        log.info(
                "S3 gateway listening on {}://{}:{} (erasure {}+{}, 1+{} up to {} bytes, block {} bytes, {} codec kernel,"
                        + " bodies in memory up to {} MiB)",
                cfg.scheme(),
                cfg.host(),
                g.port(),
                cfg.dataShards(),
                cfg.parityShards(),
                cfg.parityShards(),
                cfg.smallObjectThreshold(),
                cfg.blockSize(),
                ReedSolomon.kernelName(),
                cfg.effectiveBodyMemoryBytes() >> 20);
        return g;
    }

    static int idleTimeoutMs(GatewayConfig cfg) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1_000, 2 * cfg.ioTimeoutMs()));
    }

    /** "https" when the S3 port serves TLS, else "http". */
    public String scheme() {
        return certificate == null ? "http" : "https";
    }

    public int port() {
        return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    public Membership membership() {
        return membership;
    }

    public MetricRegistry metrics() {
        return metrics.registry;
    }

    /** Port of the metrics endpoint, or -1 when it is off. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    /**
     * Stops the gateway: new requests get 503 (SDKs retry those, on another gateway behind a
     * Service), requests in flight get up to the shutdown grace to finish, then the rest are cut.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        inFlight.shutdown();
        try {
            if (!shutdownGrace.isZero() && !inFlight.awaitShutdown(shutdownGrace.toMillis())) {
                log.warn("requests still in flight after {} s; cutting them", shutdownGrace.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (metricsServer != null) metricsServer.close();
        server.stop();
        accessCache.close();
        membership.close();
        clients.close();
        metadata.close();
        if (tls != null) tls.close();
        if (certificate != null) certificate.close();
    }
}
