package io.basalt.storage;

import io.basalt.core.Release;
import io.basalt.core.meta.ClusterMetadata;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.NodeRegistry;
import io.basalt.core.metrics.MetricRegistry;
import io.basalt.core.metrics.MetricsServer;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.meta.NodeRecord;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** A running storage node: the shard gRPC service over local data dirs, registered in etcd. */
public final class StorageNode implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(StorageNode.class);
    /** Room for one maximal chunk plus protobuf framing. */
    private static final int MAX_INBOUND_MESSAGE_BYTES = ShardWriteSession.MAX_CHUNK_SIZE + (1 << 20);

    private final StorageNodeConfig config;
    private final Server server;
    private final int port;
    private final String address;
    private final ClusterMetadata metadata; // null without etcd
    private final NodeRegistry.Registration registration;
    private final Scrubber scrubber;
    private final ShardStore store;
    private final DiskWatch diskWatch;
    private final NodeMetrics metrics;
    private final MetricsServer metricsServer; // null when --metrics-listen is absent
    private final ClusterTls tls; // null: plaintext
    private final ShardDataServer dataServer; // null: none (--data-port -1)
    private final String dataAddress; // "" without one

    private StorageNode(
            StorageNodeConfig config,
            Server server,
            String address,
            ClusterMetadata metadata,
            NodeRegistry.Registration registration,
            Scrubber scrubber,
            ShardStore store,
            DiskWatch diskWatch,
            NodeMetrics metrics,
            MetricsServer metricsServer,
            ClusterTls tls,
            ShardDataServer dataServer,
            String dataAddress) {
        this.config = config;
        this.server = server;
        this.port = server.getPort(); // kept: the server refuses getPort() once terminated
        this.address = address;
        this.metadata = metadata;
        this.registration = registration;
        this.scrubber = scrubber;
        this.store = store;
        this.diskWatch = diskWatch;
        this.metrics = metrics;
        this.metricsServer = metricsServer;
        this.tls = tls;
        this.dataServer = dataServer;
        this.dataAddress = dataAddress;
    }

    public static StorageNode start(StorageNodeConfig config) throws IOException {
        ShardStore store = ShardStore.open(
                config.dataDirs(), config.diskProbeTimeout(), config.packSmallShards(), config.shardFormat());
        NodeMetrics metrics = new NodeMetrics();
        ClusterTls tls = config.clusterTls() == null ? null : ClusterTls.open(config.clusterTls());
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()));
        if (tls != null) builder.sslContext(tls.serverContext()); // callers without a cluster certificate are refused
        Server server = builder.addService(new ShardServiceImpl(store, metrics).definition())
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .flowControlWindow(ShardClients.FLOW_CONTROL_WINDOW) // bounded memory per write stream
                .build()
                .start();
        String address = config.advertise() != null
                ? config.advertise()
                : advertisedHost(config.host()) + ":" + server.getPort();
        ShardDataServer dataServer = null;
        String dataAddress = "";
        if (config.dataPort() >= 0) {
            try {
                dataServer = ShardDataServer.start(config.host(), config.dataPort(), tls, store, metrics);
            } catch (IOException e) {
                server.shutdownNow();
                if (tls != null) tls.close();
                throw e;
            }
            dataAddress = config.advertiseData() != null
                    ? config.advertiseData()
                    : address.substring(0, address.lastIndexOf(':')) + ":" + dataServer.port();
        }
        String dataAddressFinal = dataAddress;
        ClusterMetadata metadata = null;
        NodeRegistry.Registration registration = null;
        if (config.etcdEndpoint() != null) {
            long startedMs = System.currentTimeMillis();
            try {
                metadata = EtcdMetadata.connect(
                        List.of(config.etcdEndpoint().split(",")), new Keys(config.etcdPrefix()), tls);
                registration = metadata.nodes()
                        .register(
                                config.nodeId(),
                                config.leaseTtl(),
                                () -> nodeRecord(config, store, address, dataAddressFinal, startedMs));
            } catch (RuntimeException e) {
                if (metadata != null) metadata.close();
                if (dataServer != null) dataServer.close();
                server.shutdownNow();
                if (tls != null) tls.close();
                throw e;
            }
        }
        ScrubHealQueue healQueue = metadata == null ? null : new ScrubHealQueue(metadata.heals(), config.nodeId());
        Runnable recordChanged = registration == null ? () -> {} : registration::refreshSoon;
        DiskWatch diskWatch =
                new DiskWatch(store, config.nodeId(), config.diskProbeInterval(), healQueue, recordChanged);
        diskWatch.start();
        // Without etcd (local tests) a corrupt shard is only logged: nobody could heal it.
        Scrubber scrubber =
                new Scrubber(store, config.nodeId(), config.scrub(), healQueue == null ? c -> {} : healQueue);
        scrubber.onCorrupt(() -> metrics.corrupt.labels("scrub").inc());
        metrics.watch(store, scrubber);
        scrubber.start();
        MetricsServer metricsServer = null;
        if (config.metricsListen() != null) {
            try {
                metricsServer = MetricsServer.start(
                        config.metricsListen(),
                        metrics.registry,
                        () -> !store.healthyDirs().isEmpty());
            } catch (IOException | RuntimeException e) {
                scrubber.close();
                diskWatch.close();
                if (registration != null) registration.close();
                if (metadata != null) metadata.close();
                if (dataServer != null) dataServer.close();
                server.shutdownNow();
                store.close();
                if (tls != null) tls.close();
                throw e;
            }
        }
        log.info(
                "storage node {} listening on {}{}",
                config.nodeId(),
                address,
                dataServer == null ? "" : ", shard data on " + dataAddress);
        return new StorageNode(
                config,
                server,
                address,
                metadata,
                registration,
                scrubber,
                store,
                diskWatch,
                metrics,
                metricsServer,
                tls,
                dataServer,
                dataAddress);
    }

    /** A wildcard bind address is no use to peers; advertise this host's name instead. */
    private static String advertisedHost(String host) throws IOException {
        InetAddress bound = InetAddress.getByName(host);
        return bound.isAnyLocalAddress() ? InetAddress.getLocalHost().getCanonicalHostName() : host;
    }

    private static NodeRecord nodeRecord(
            StorageNodeConfig config, ShardStore store, String address, String dataAddress, long startedMs) {
        try {
            Capacity capacity = store.capacity();
            return NodeRecord.newBuilder()
                    .setNodeId(config.nodeId())
                    .setAddress(address)
                    .setDataAddress(dataAddress)
                    .addAllDataDirs(store.roots().stream().map(Path::toString).toList())
                    .addAllFailedDirs(
                            store.failedRoots().stream().map(Path::toString).toList())
                    .setFreeBytes(capacity.freeBytes())
                    .setTotalBytes(capacity.totalBytes())
                    .setStartedUnixMs(startedMs)
                    .setZone(config.zone())
                    .setRelease(Release.version())
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String nodeId() {
        return config.nodeId();
    }

    public int port() {
        return port;
    }

    /** host:port peers use to reach the shard service. */
    public String address() {
        return address;
    }

    /** host:port of the shard data port for peers, or "" when the node runs none. */
    public String dataAddress() {
        return dataAddress;
    }

    /** The bitrot scrubber; {@link Scrubber#runPass()} runs a pass now. */
    public Scrubber scrubber() {
        return scrubber;
    }

    /** The data port's server, or null; tests count its connections. */
    ShardDataServer dataServer() {
        return dataServer;
    }

    /** The node's shards; tests reach its data dirs through it. */
    ShardStore store() {
        return store;
    }

    /** False once every data dir has failed: the node is up but can store nothing. */
    public boolean healthy() {
        return !store.healthyDirs().isEmpty();
    }

    /** The node's metrics registry (served on --metrics-listen when set). */
    public MetricRegistry metrics() {
        return metrics.registry;
    }

    /** Port of the metrics endpoint, or -1 when it is off. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    /** Blocks until the server stops. */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /** Leaves the cluster first, so nobody is sent to a node that is going away, then stops serving. */
    @Override
    public void close() {
        scrubber.close(); // before the registration: its reports go through the same etcd client
        diskWatch.close();
        if (registration != null) {
            registration.close();
        }
        if (metadata != null) {
            metadata.close();
        }
        server.shutdown();
        try {
            if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("storage node {}: calls still running after 10 s, cancelling them", config.nodeId());
                server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (dataServer != null) dataServer.close(); // after gRPC: its callers have gone elsewhere by now
        if (metricsServer != null) metricsServer.close();
        store.close();
        if (tls != null) tls.close();
        log.info("storage node {} stopped", config.nodeId());
    }
}
