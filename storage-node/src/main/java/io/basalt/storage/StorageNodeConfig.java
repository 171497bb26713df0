package io.basalt.storage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How to run one storage node.
 *
 * @param port 0 picks a free port
 * @param etcdEndpoint comma-separated etcd URLs, or null to run without registering
 * @param scrub background bitrot scrub settings
 * @param zone failure domain (rack, zone) this node is in; placement spreads shards over zones; "" for none
 * @param diskProbeInterval how often each data dir is probed (write, fsync, read, delete); zero: never
 * @param diskProbeTimeout a probe (or a background free-space read) of a data dir that has not finished
 *                         by then fails the dir: a hung disk never answers
 * @param metricsListen HOST:PORT of the /metrics and /health endpoint, or null for none
 * @param advertise host:port registered in etcd for peers to dial (a proxy, a NAT address), or null for the
 *                  listen address
 * @param packSmallShards shards of one chunk up to 128 KiB go to group-committed pack files, not a file
 *                        each (the default; packs already on disk are read either way)
 * @param shardFormat the format new shard files are written in: 2 (block-aligned, O_DIRECT; the default) or 1
 *                    (what 0.1 reads: for a node upgraded from 0.1 while going back is still possible); both
 *                    are read either way
 * @param dataPort the data port's (shard reads without gRPC, on the same host): 0 picks a free port, -1 runs
 *                 none (callers then read through gRPC)
 * @param advertiseData host:port registered in etcd for the data port, or null for the advertised host (or the
 *                      listen host) with the bound data port
 */
public record StorageNodeConfig(
        String nodeId,
        String host,
        int port,
        List<Path> dataDirs,
        String etcdEndpoint,
        String etcdPrefix,
        Duration leaseTtl,
        Scrubber.Config scrub,
        String zone,
        Duration diskProbeInterval,
        Duration diskProbeTimeout,
        String metricsListen,
        String advertise,
        boolean packSmallShards,
        Path clusterTls,
        int shardFormat,
        int dataPort,
        String advertiseData) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final String DEFAULT_ETCD_PREFIX = "/basalt/";
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_DISK_PROBE_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_DISK_PROBE_TIMEOUT = Duration.ofSeconds(10);

    public StorageNodeConfig {
        if (nodeId == null || nodeId.isBlank()) throw new IllegalArgumentException("node id is required");
        if (dataDirs == null || dataDirs.isEmpty())
            throw new IllegalArgumentException("at least one data dir is required");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("bad port " + port);
        if (dataPort < -1 || dataPort > 65535) throw new IllegalArgumentException("bad data port " + dataPort);
        if (advertiseData != null && advertiseData.lastIndexOf(':') <= 0) {
            throw new IllegalArgumentException("advertised data address must be HOST:PORT, got " + advertiseData);
        }
        host = host == null ? DEFAULT_HOST : host;
        etcdPrefix = etcdPrefix == null ? DEFAULT_ETCD_PREFIX : etcdPrefix;
        if (!etcdPrefix.endsWith("/"))
            throw new IllegalArgumentException("etcd prefix must end with '/': " + etcdPrefix);
        leaseTtl = leaseTtl == null ? DEFAULT_LEASE_TTL : leaseTtl;
        dataDirs = List.copyOf(dataDirs);
        scrub = scrub == null ? Scrubber.Config.DEFAULT : scrub;
        zone = zone == null ? "" : zone;
        diskProbeInterval = diskProbeInterval == null ? DEFAULT_DISK_PROBE_INTERVAL : diskProbeInterval;
        if (diskProbeInterval.isNegative()) throw new IllegalArgumentException("negative disk probe interval");
        diskProbeTimeout = diskProbeTimeout == null ? DEFAULT_DISK_PROBE_TIMEOUT : diskProbeTimeout;
        if (!diskProbeTimeout.isPositive()) throw new IllegalArgumentException("disk probe timeout must be positive");
        if (advertise != null && advertise.lastIndexOf(':') <= 0) {
            throw new IllegalArgumentException("advertise address must be HOST:PORT, got " + advertise);
        }
        if (shardFormat != ShardFileLayout.INLINE_CRCS && shardFormat != ShardFileLayout.ALIGNED)
            throw new IllegalArgumentException("shard format must be 1 or 2, got " + shardFormat);
    }

    /** As the canonical constructor, with a data port on a free port, advertised on the advertised host. */
    public StorageNodeConfig(
            String nodeId,
            String host,
            int port,
            List<Path> dataDirs,
            String etcdEndpoint,
            String etcdPrefix,
            Duration leaseTtl,
            Scrubber.Config scrub,
            String zone,
            Duration diskProbeInterval,
            Duration diskProbeTimeout,
            String metricsListen,
            String advertise,
            boolean packSmallShards,
            Path clusterTls,
            int shardFormat) {
        this(
                nodeId,
                host,
                port,
                dataDirs,
                etcdEndpoint,
                etcdPrefix,
                leaseTtl,
                scrub,
                zone,
                diskProbeInterval,
                diskProbeTimeout,
                metricsListen,
                advertise,
                packSmallShards,
                clusterTls,
                shardFormat,
                0,
                null);
    }

    /** As the canonical constructor, writing shard files in the current format (2). */
    public StorageNodeConfig(
            String nodeId,
            String host,
            int port,
            List<Path> dataDirs,
            String etcdEndpoint,
            String etcdPrefix,
            Duration leaseTtl,
            Scrubber.Config scrub,
            String zone,
            Duration diskProbeInterval,
            Duration diskProbeTimeout,
            String metricsListen,
            String advertise,
            boolean packSmallShards,
            Path clusterTls) {
        this(
                nodeId,
                host,
                port,
                dataDirs,
                etcdEndpoint,
                etcdPrefix,
                leaseTtl,
                scrub,
                zone,
                diskProbeInterval,
                diskProbeTimeout,
                metricsListen,
                advertise,
                packSmallShards,
                clusterTls,
                ShardFileLayout.ALIGNED);
    }

    public StorageNodeConfig(
            String nodeId,
            String host,
            int port,
            List<Path> dataDirs,
            String etcdEndpoint,
            String etcdPrefix,
            Duration leaseTtl,
            Scrubber.Config scrub,
            String zone) {
        this(
                nodeId,
                host,
                port,
                dataDirs,
                etcdEndpoint,
                etcdPrefix,
                leaseTtl,
                scrub,
                zone,
                null,
                null,
                null,
                null,
                true,
                null);
    }

    public StorageNodeConfig(
            String nodeId,
            String host,
            int port,
            List<Path> dataDirs,
            String etcdEndpoint,
            String etcdPrefix,
            Duration leaseTtl,
            Scrubber.Config scrub) {
        this(nodeId, host, port, dataDirs, etcdEndpoint, etcdPrefix, leaseTtl, scrub, "");
    }

    public StorageNodeConfig(
            String nodeId,
            String host,
            int port,
            List<Path> dataDirs,
            String etcdEndpoint,
            String etcdPrefix,
            Duration leaseTtl) {
        this(nodeId, host, port, dataDirs, etcdEndpoint, etcdPrefix, leaseTtl, Scrubber.Config.DEFAULT);
    }

    /** A node on 127.0.0.1, a free port and no etcd: what most in-process tests want. */
    public static StorageNodeConfig local(String nodeId, List<Path> dataDirs) {
        return new StorageNodeConfig(nodeId, DEFAULT_HOST, 0, dataDirs, null, DEFAULT_ETCD_PREFIX, DEFAULT_LEASE_TTL);
    }

    public StorageNodeConfig withEtcd(String endpoint) {
        return copy(f -> f.etcdEndpoint = endpoint);
    }

    public StorageNodeConfig withScrub(Scrubber.Config scrub) {
        return copy(f -> f.scrub = scrub);
    }

    public StorageNodeConfig withZone(String z) {
        return copy(f -> f.zone = z);
    }

    public StorageNodeConfig withDiskProbeInterval(Duration interval) {
        return copy(f -> f.diskProbeInterval = interval);
    }

    public StorageNodeConfig withDiskProbeTimeout(Duration timeout) {
        return copy(f -> f.diskProbeTimeout = timeout);
    }

    public StorageNodeConfig withMetricsListen(String hostPort) {
        return copy(f -> f.metricsListen = hostPort);
    }

    public StorageNodeConfig withAdvertise(String hostPort) {
        return copy(f -> f.advertise = hostPort);
    }

    public StorageNodeConfig withPackSmallShards(boolean pack) {
        return copy(f -> f.packSmallShards = pack);
    }

    public StorageNodeConfig withClusterTls(Path dir) {
        return copy(f -> f.clusterTls = dir);
    }

    public StorageNodeConfig withShardFormat(int format) {
        return copy(f -> f.shardFormat = format);
    }

    public StorageNodeConfig withDataPort(int dataPort) {
        return copy(f -> f.dataPort = dataPort);
    }

    public StorageNodeConfig withAdvertiseData(String hostPort) {
        return copy(f -> f.advertiseData = hostPort);
    }

    /** The record's components, changeable: the with... methods name one each, this lists them all once. */
    private static final class Fields {
        String nodeId;
        String host;
        int port;
        List<Path> dataDirs;
        String etcdEndpoint;
        String etcdPrefix;
        Duration leaseTtl;
        Scrubber.Config scrub;
        String zone;
        Duration diskProbeInterval;
        Duration diskProbeTimeout;
        String metricsListen;
        String advertise;
        boolean packSmallShards;
        Path clusterTls;
        int shardFormat;
        int dataPort;
        String advertiseData;
    }

    private StorageNodeConfig copy(java.util.function.Consumer<Fields> change) {
        Fields f = new Fields();
        f.nodeId = nodeId;
        f.host = host;
        f.port = port;
        f.dataDirs = dataDirs;
        f.etcdEndpoint = etcdEndpoint;
        f.etcdPrefix = etcdPrefix;
        f.leaseTtl = leaseTtl;
        f.scrub = scrub;
        f.zone = zone;
        f.diskProbeInterval = diskProbeInterval;
        f.diskProbeTimeout = diskProbeTimeout;
        f.metricsListen = metricsListen;
        f.advertise = advertise;
        f.packSmallShards = packSmallShards;
        f.clusterTls = clusterTls;
        f.shardFormat = shardFormat;
        f.dataPort = dataPort;
        f.advertiseData = advertiseData;
        change.accept(f);
        return new StorageNodeConfig(
                f.nodeId,
                f.host,
                f.port,
                f.dataDirs,
                f.etcdEndpoint,
                f.etcdPrefix,
                f.leaseTtl,
                f.scrub,
                f.zone,
                f.diskProbeInterval,
                f.diskProbeTimeout,
                f.metricsListen,
                f.advertise,
                f.packSmallShards,
                f.clusterTls,
                f.shardFormat,
                f.dataPort,
                f.advertiseData);
    }
}
