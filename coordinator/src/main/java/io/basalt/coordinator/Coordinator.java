package io.basalt.coordinator;

import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.ClusterMetadata;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.LeaderElection;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.metrics.MetricRegistry;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.throttle.ByteRateLimiter;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.meta.NodeRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** One coordinator process: campaigns for leadership and, while leading, does the cluster's background work. */
public final class Coordinator implements AutoCloseable, LeaderElection.Listener {

    /**
     * @param healBytesPerSecond pace of rebuilt data unless etcd's config/heal-rate-mbps overrides it; 0: unlimited
     * @param orphanGrace age a shard file must reach before the orphan sweep may delete it; it must outlast
     *                    the longest single upload
     * @param clusterTls directory of the cluster's mutual TLS (ca.crt, tls.crt, tls.key) for the storage nodes'
     *                   gRPC; null talks plaintext to them
     */
    public record Config(
            String id,
            List<String> etcdEndpoints,
            String etcdPrefix,
            Duration gcGrace,
            Duration gcInterval,
            long leaseTtlSeconds,
            Duration uploadExpiry,
            Duration healGrace,
            long healBytesPerSecond,
            Duration orphanGrace,
            Duration orphanInterval,
            java.nio.file.Path clusterTls,
            LifecycleTiming lifecycle) {
        public static final Duration DEFAULT_UPLOAD_EXPIRY = Duration.ofHours(24);
        public static final Duration DEFAULT_HEAL_GRACE = Duration.ofMinutes(5);
        public static final long DEFAULT_HEAL_BYTES_PER_SECOND = ByteRateLimiter.mbPerSecond(100);
        public static final Duration STATUS_INTERVAL = Duration.ofSeconds(3);
        // Orphans are rare (a gateway killed mid-PUT); a day's grace outlasts any single upload.
        public static final Duration DEFAULT_ORPHAN_GRACE = Duration.ofHours(24);
        public static final Duration DEFAULT_ORPHAN_INTERVAL = Duration.ofHours(1);

        /**
         * How often the lifecycle rules run, and how long their "day" is: a day in service, seconds in tests
         * (rules count in days; Ceph's {@code rgw_lc_debug_interval} does the same).
         */
        public record LifecycleTiming(Duration interval, Duration day) {
            public static final LifecycleTiming DEFAULT = new LifecycleTiming(Duration.ofHours(1), Duration.ofDays(1));
        }

        public Config(
                String id,
                List<String> etcdEndpoints,
                String etcdPrefix,
                Duration gcGrace,
                Duration gcInterval,
                long leaseTtlSeconds,
                Duration uploadExpiry,
                Duration healGrace,
                long healBytesPerSecond,
                Duration orphanGrace,
                Duration orphanInterval) {
            this(
                    id,
                    etcdEndpoints,
                    etcdPrefix,
                    gcGrace,
                    gcInterval,
                    leaseTtlSeconds,
                    uploadExpiry,
                    healGrace,
                    healBytesPerSecond,
                    orphanGrace,
                    orphanInterval,
                    null,
                    LifecycleTiming.DEFAULT);
        }

        public Config(
                String id,
                List<String> etcdEndpoints,
                String etcdPrefix,
                Duration gcGrace,
                Duration gcInterval,
                long leaseTtlSeconds,
                Duration uploadExpiry,
                Duration healGrace,
                long healBytesPerSecond) {
            this(
                    id,
                    etcdEndpoints,
                    etcdPrefix,
                    gcGrace,
                    gcInterval,
                    leaseTtlSeconds,
                    uploadExpiry,
                    healGrace,
                    healBytesPerSecond,
                    DEFAULT_ORPHAN_GRACE,
                    DEFAULT_ORPHAN_INTERVAL);
        }

        public Config(
                String id,
                List<String> etcdEndpoints,
                String etcdPrefix,
                Duration gcGrace,
                Duration gcInterval,
                long leaseTtlSeconds,
                Duration uploadExpiry,
                Duration healGrace) {
            this(
                    id,
                    etcdEndpoints,
                    etcdPrefix,
                    gcGrace,
                    gcInterval,
                    leaseTtlSeconds,
                    uploadExpiry,
                    healGrace,
                    DEFAULT_HEAL_BYTES_PER_SECOND);
        }

        public Config(
                String id,
                List<String> etcdEndpoints,
                String etcdPrefix,
                Duration gcGrace,
                Duration gcInterval,
                long leaseTtlSeconds) {
            this(
                    id,
                    etcdEndpoints,
                    etcdPrefix,
                    gcGrace,
                    gcInterval,
                    leaseTtlSeconds,
                    DEFAULT_UPLOAD_EXPIRY,
                    DEFAULT_HEAL_GRACE);
        }

        public Config(String id, List<String> etcdEndpoints, String etcdPrefix, Duration gcGrace) {
            this(id, etcdEndpoints, etcdPrefix, gcGrace, Duration.ofSeconds(10), 10);
        }

        public Config withClusterTls(java.nio.file.Path dir) {
            return with(dir, lifecycle);
        }

        public Config withLifecycle(LifecycleTiming timing) {
            return with(clusterTls, timing);
        }

        /** This configuration with the two settings that are set after construction. */
        private Config with(java.nio.file.Path tls, LifecycleTiming timing) {
            return new Config(
                    id,
                    etcdEndpoints,
                    etcdPrefix,
                    gcGrace,
                    gcInterval,
                    leaseTtlSeconds,
                    uploadExpiry,
                    healGrace,
                    healBytesPerSecond,
                    orphanGrace,
                    orphanInterval,
                    tls,
                    timing);
        }
    }

    private static final Logger log = LogManager.getLogger(Coordinator.class);

    private final Config config;
    private final ClusterMetadata metadata;
    private final Membership membership;
    private final ShardClients shards;
    private final ClusterTls tls; // null: plaintext to the nodes and etcd
    private final GarbageCollector gc;
    private final MetadataStore meta;
    private final UploadExpiry uploadExpiry;
    private final Healer healer;
    private final Drainer drainer;
    private final Rebalancer rebalancer;
    private final OrphanSweeper orphans;
    private final LifecycleRunner lifecycle;
    private final StatusPublisher status;
    private volatile java.util.Set<String> lastLive = java.util.Set.of();
    private final LeaderElection election;
    private final CoordinatorMetrics metrics;

    private Coordinator(Config config) {
        this.config = config;
        Keys keys = new Keys(config.etcdPrefix());
        try {
            this.tls = config.clusterTls() == null ? null : ClusterTls.open(config.clusterTls());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        this.shards = new ShardClients(tls);
        this.metadata = EtcdMetadata.connect(config.etcdEndpoints(), keys, tls);
        this.membership = startMembership(metadata);
        this.gc = new GarbageCollector(metadata.garbage(), membership, shards, config.gcGrace(), config.gcInterval());
        this.meta = metadata.store();
        this.uploadExpiry = new UploadExpiry(
                meta,
                config.uploadExpiry(),
                config.gcInterval().compareTo(Duration.ofMinutes(10)) < 0
                        ? config.gcInterval()
                        : Duration.ofMinutes(10));
        Duration healInterval =
                config.gcInterval().compareTo(Duration.ofSeconds(5)) < 0 ? config.gcInterval() : Duration.ofSeconds(5);
        // Heal, drain and rebalance write new shards at one shared pace.
        HealRate rate = new HealRate(metadata.admin(), config.healBytesPerSecond());
        ShardCopyGarbage garbage = new ShardCopyGarbage(metadata.garbage());
        this.healer = new Healer(
                meta,
                metadata.heals(),
                metadata.admin(),
                membership,
                shards,
                config.healGrace(),
                healInterval,
                rate,
                garbage);
        ShardMover mover = new ShardMover(meta, shards, garbage, rate);
        NodeZones zones = new NodeZones(metadata.nodes());
        this.drainer = new Drainer(meta, metadata.admin(), membership, mover, zones, healInterval);
        this.rebalancer = new Rebalancer(meta, metadata.admin(), membership, mover, zones, healInterval);
        this.lifecycle = new LifecycleRunner(
                meta, config.lifecycle().interval(), config.lifecycle().day());
        this.status = new StatusPublisher(
                config.id(),
                metadata,
                membership,
                healer,
                rate,
                rebalancer,
                lifecycle,
                config.gcInterval().compareTo(Config.STATUS_INTERVAL) < 0
                        ? config.gcInterval()
                        : Config.STATUS_INTERVAL);
        this.lastLive = membership.live().keySet();
        this.orphans = new OrphanSweeper(
                meta,
                metadata.heals(),
                metadata.garbage(),
                membership,
                shards,
                config.orphanGrace(),
                config.orphanInterval());
        this.election = metadata.election(config.id(), config.leaseTtlSeconds(), this);
        this.metrics = new CoordinatorMetrics(
                this::isLeader,
                membership,
                healer,
                gc,
                orphans,
                drainer,
                rebalancer,
                metadata.heals(),
                metadata.garbage());
        membership.onChange(this::membershipChanged);
    }

    public static Coordinator start(Config config) {
        Coordinator c = new Coordinator(config);
        log.info(
                "coordinator {} started (etcd {}, prefix {}, gc grace {} s)",
                config.id(),
                String.join(",", config.etcdEndpoints()),
                config.etcdPrefix(),
                config.gcGrace().toSeconds());
        c.election.start();
        return c;
    }

    /** Membership needs etcd to answer; retry until it does so the process survives a slow etcd start. */
    private static Membership startMembership(ClusterMetadata metadata) {
        long delay = 500;
        while (true) {
            try {
                return Membership.start(metadata.nodes(), metadata.admin());
            } catch (RuntimeException e) {
                log.warn("waiting for etcd: {}", e.getMessage());
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                delay = Math.min(delay * 2, 5000);
            }
        }
    }

    public boolean isLeader() {
        return election.isLeader();
    }

    /** Everything this coordinator measures, for a {@link io.basalt.core.metrics.MetricsServer}. */
    public MetricRegistry metrics() {
        return metrics.registry;
    }

    @Override
    public void elected() {
        log.info("coordinator {} is leader", config.id());
        logMembers(membership.live());
        gc.start();
        orphans.start();
        uploadExpiry.start();
        lifecycle.start();
        healer.start();
        drainer.start();
        rebalancer.start();
        status.start();
    }

    @Override
    public void lost() {
        log.info("coordinator {} is no longer leader", config.id());
        gc.stop();
        orphans.stop();
        uploadExpiry.stop();
        lifecycle.stop();
        healer.stop();
        drainer.stop();
        rebalancer.stop();
        status.stop();
    }

    private void membershipChanged(Map<String, NodeRecord> live) {
        healer.membershipChanged(lastLive, live);
        lastLive = live.keySet();
        if (election.isLeader()) logMembers(live);
    }

    private static void logMembers(Map<String, NodeRecord> live) {
        log.info(
                "live storage nodes ({}): {}",
                live.size(),
                live.values().stream()
                        .sorted(java.util.Comparator.comparing(NodeRecord::getNodeId))
                        .map(n -> n.getNodeId() + "@" + n.getAddress())
                        .collect(Collectors.joining(", ", "[", "]")));
    }

    @Override
    public void close() {
        election.close();
        gc.close();
        orphans.close();
        uploadExpiry.close();
        lifecycle.close();
        healer.close();
        drainer.close();
        rebalancer.close();
        status.close();
        membership.close();
        shards.close();
        metadata.close();
        if (tls != null) tls.close();
    }
}
