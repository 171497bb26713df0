package io.basalt.storage;

import io.basalt.core.config.BadFlag;
import io.basalt.core.config.FlagValues;
import io.basalt.core.config.ServiceArgs;
import io.basalt.core.config.ServiceFlags;
import io.basalt.core.throttle.ByteRateLimiter;
import io.basalt.core.tls.ClusterTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code storage-node --id ID --listen HOST:PORT --data DIR[,DIR...] --etcd URL[,URL]
 * [--etcd-prefix /basalt/] [--lease-ttl SECONDS] [--scrub-rate-mbps 50] [--scrub-interval-hours 24] [--zone Z]
 * [--disk-probe-seconds 5] [--disk-probe-timeout-seconds 10] [--metrics-listen HOST:PORT] [--advertise HOST:PORT]
 * [--data-port 0] [--advertise-data HOST:PORT] --cluster-tls DIR|none}
 * (MB = 2^20 bytes; a scrub rate of 0 disables scrubbing, a probe interval of 0 disables the periodic probe;
 * a probe not finished within the timeout fails its dir;
 * --advertise is the address registered in etcd for peers, default the listen address;
 * --data-port is the port of shard reads without gRPC on the listen host (0: a free one, -1: none), and
 * --advertise-data its address for peers, default the advertised host with that port;
 * --config FILE reads a host config file, storage-node.&lt;flag&gt; keys, flags on the command line winning)
 */
public final class StorageNodeMain {
    private static final Logger log = LogManager.getLogger(StorageNodeMain.class);
    private static final String USAGE = "usage: storage-node --id ID --listen HOST:PORT --data DIR[,DIR...]"
            + " --etcd URL[,URL] [--etcd-prefix /basalt/] [--lease-ttl SECONDS]"
            + " [--scrub-rate-mbps 50] [--scrub-interval-hours 24] [--zone Z] [--disk-probe-seconds 5] [--pack-small-shards true] [--shard-format 2]"
            + " [--disk-probe-timeout-seconds 10] [--metrics-listen HOST:PORT] [--advertise HOST:PORT]"
            + " [--data-port 0] [--advertise-data HOST:PORT] [--config FILE] --cluster-tls DIR|none";

    /** Every flag; each is also the host config key storage-node.&lt;flag&gt; ({@link ServiceArgs}). */
    public static final ServiceFlags FLAGS = new ServiceFlags(
            "storage-node",
            Set.of(
                    "id",
                    "listen",
                    "data",
                    "etcd",
                    "etcd-prefix",
                    "lease-ttl",
                    "scrub-rate-mbps",
                    "scrub-interval-hours",
                    "zone",
                    "disk-probe-seconds",
                    "disk-probe-timeout-seconds",
                    "metrics-listen",
                    "advertise",
                    "data-port",
                    "advertise-data",
                    "pack-small-shards",
                    "shard-format",
                    "cluster-tls"),
            Set.of());

    private StorageNodeMain() {}

    public static void main(String[] args) throws Exception {
        StorageNodeConfig config;
        try {
            config = ServiceArgs.parse(FLAGS, args, StorageNodeMain::parse);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        StorageNode node = StorageNode.start(config);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            node.close();
                            LogManager.shutdown(); // log4j's own hook is disabled so these last lines are logged
                        },
                        "storage-node-shutdown"));
        node.awaitTermination();
        log.info("storage node {} exiting", config.nodeId());
    }

    /** The node's configuration from its command line; IllegalArgumentException on a bad or unknown flag. */
    public static StorageNodeConfig parse(String[] args) {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("bad argument: " + args[i]);
            }
            flags.put(args[i].substring(2), args[i + 1]);
        }
        flags.keySet().stream().filter(k -> !FLAGS.knows(k)).findFirst().ifPresent(k -> {
            throw new IllegalArgumentException("unknown flag --" + k);
        });
        String listen = required(flags, "listen");
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) {
            throw new BadFlag("listen", "must be HOST:PORT, got " + listen);
        }
        List<Path> dataDirs =
                Arrays.stream(required(flags, "data").split(",")).map(Path::of).toList();
        Duration ttl = flags.containsKey("lease-ttl")
                ? Duration.ofSeconds(FlagValues.integer64("lease-ttl", flags.get("lease-ttl")))
                : StorageNodeConfig.DEFAULT_LEASE_TTL;
        return new StorageNodeConfig(
                required(flags, "id"),
                listen.substring(0, colon),
                FlagValues.integer("listen", listen.substring(colon + 1)),
                dataDirs,
                required(flags, "etcd"),
                flags.getOrDefault("etcd-prefix", StorageNodeConfig.DEFAULT_ETCD_PREFIX),
                ttl,
                scrub(flags),
                flags.getOrDefault("zone", ""),
                diskProbe(flags),
                diskProbeTimeout(flags),
                flags.get("metrics-listen"),
                flags.get("advertise"),
                bool(flags, "pack-small-shards", true),
                ClusterTls.dirFlag(flags.get("cluster-tls")),
                shardFormat(flags),
                dataPort(flags),
                flags.get("advertise-data"));
    }

    private static int dataPort(Map<String, String> flags) {
        if (!flags.containsKey("data-port")) return 0;
        int port = FlagValues.integer("data-port", flags.get("data-port"));
        if (port < -1 || port > 65535) throw new BadFlag("data-port", "must be a port, 0 (a free one) or -1 (none)");
        return port;
    }

    private static int shardFormat(Map<String, String> flags) {
        if (!flags.containsKey("shard-format")) return ShardFileLayout.ALIGNED;
        int format = FlagValues.integer("shard-format", flags.get("shard-format"));
        if (format != ShardFileLayout.INLINE_CRCS && format != ShardFileLayout.ALIGNED)
            throw new BadFlag("shard-format", "must be 1 (what 0.1 reads) or 2 (the default)");
        return format;
    }

    private static boolean bool(Map<String, String> flags, String name, boolean byDefault) {
        return flags.containsKey(name) ? FlagValues.bool(name, flags.get(name)) : byDefault;
    }

    private static Duration diskProbe(Map<String, String> flags) {
        if (!flags.containsKey("disk-probe-seconds")) return StorageNodeConfig.DEFAULT_DISK_PROBE_INTERVAL;
        double seconds = FlagValues.decimal("disk-probe-seconds", flags.get("disk-probe-seconds"));
        if (seconds < 0) throw new BadFlag("disk-probe-seconds", "must be >= 0");
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    private static Duration diskProbeTimeout(Map<String, String> flags) {
        if (!flags.containsKey("disk-probe-timeout-seconds")) return StorageNodeConfig.DEFAULT_DISK_PROBE_TIMEOUT;
        double seconds = FlagValues.decimal("disk-probe-timeout-seconds", flags.get("disk-probe-timeout-seconds"));
        if (seconds <= 0) throw new BadFlag("disk-probe-timeout-seconds", "must be > 0");
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    private static Scrubber.Config scrub(Map<String, String> flags) {
        Scrubber.Config d = Scrubber.Config.DEFAULT;
        long rate = d.bytesPerSecond();
        Duration interval = d.interval();
        if (flags.containsKey("scrub-rate-mbps")) {
            double mb = FlagValues.decimal("scrub-rate-mbps", flags.get("scrub-rate-mbps"));
            if (mb < 0) throw new BadFlag("scrub-rate-mbps", "must be >= 0");
            rate = ByteRateLimiter.mbPerSecond(mb);
        }
        if (flags.containsKey("scrub-interval-hours")) {
            double hours = FlagValues.decimal("scrub-interval-hours", flags.get("scrub-interval-hours"));
            if (hours <= 0) throw new BadFlag("scrub-interval-hours", "must be > 0");
            interval = Duration.ofSeconds(Math.round(hours * 3600));
        }
        return new Scrubber.Config(rate, interval, d.initialDelay());
    }

    private static String required(Map<String, String> flags, String name) {
        String value = flags.get(name);
        if (value == null || value.isEmpty()) {
            throw BadFlag.missing(name);
        }
        return value;
    }
}
