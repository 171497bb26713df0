package io.basalt.coordinator;

import io.basalt.coordinator.console.Console;
import io.basalt.coordinator.console.ConsoleConfig;
import io.basalt.core.config.BadFlag;
import io.basalt.core.config.FlagValues;
import io.basalt.core.config.ServiceArgs;
import io.basalt.core.config.ServiceFlags;
import io.basalt.core.erasure.CodecWarmup;
import io.basalt.core.metrics.MetricsServer;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code CoordinatorMain --id ID --etcd URL[,URL] [--etcd-prefix /basalt/] [--gc-grace-seconds N] [--upload-expiry-hours H] [--heal-grace-seconds S] [--heal-rate-mbps 100]
 * [--orphan-grace-seconds 86400] [--orphan-interval-seconds 3600] [--lifecycle-interval-seconds 3600]
 * [--lifecycle-day-seconds 86400] [--metrics-listen HOST:PORT] [--config FILE] --cluster-tls DIR|none
 * [--console-listen HOST:PORT --console-gateway URL [--console-gateway-metrics URL[,URL]]
 * [--console-tls-cert FILE --console-tls-key FILE]]}
 * (--config reads a host config file, coordinator.&lt;flag&gt; keys, flags on the command line winning)
 * (MB = 2^20 bytes; 0 means unlimited; etcd's {@code <prefix>config/heal-rate-mbps} overrides it at run time)
 */
public final class CoordinatorMain {

    private static final Logger log = LogManager.getLogger(CoordinatorMain.class);
    private static final String USAGE =
            "usage: CoordinatorMain --id ID --etcd URL[,URL] [--etcd-prefix /basalt/] [--gc-grace-seconds N] [--upload-expiry-hours H] [--heal-grace-seconds S] [--heal-rate-mbps 100]"
                    + " [--orphan-grace-seconds 86400] [--orphan-interval-seconds 3600] [--lifecycle-interval-seconds 3600]"
                    + " [--lifecycle-day-seconds 86400] [--metrics-listen HOST:PORT]"
                    + " [--config FILE] --cluster-tls DIR|none"
                    + " [--console-listen HOST:PORT --console-gateway URL [--console-gateway-metrics URL[,URL]]"
                    + " [--console-tls-cert FILE --console-tls-key FILE]]";

    /** Every flag {@link #parse} takes; each is also the host config key coordinator.&lt;flag&gt;. */
    public static final ServiceFlags FLAGS = new ServiceFlags(
            "coordinator",
            Set.of(
                    "id",
                    "etcd",
                    "etcd-prefix",
                    "gc-grace-seconds",
                    "upload-expiry-hours",
                    "heal-grace-seconds",
                    "heal-rate-mbps",
                    "orphan-grace-seconds",
                    "orphan-interval-seconds",
                    "cluster-tls",
                    "lifecycle-interval-seconds",
                    "lifecycle-day-seconds",
                    "metrics-listen",
                    "console-listen",
                    "console-gateway",
                    "console-gateway-metrics",
                    "console-tls-cert",
                    "console-tls-key"),
            Set.of());

    private CoordinatorMain() {}

    private record Startup(Coordinator.Config config, String metricsListen, ConsoleConfig console) {}

    public static void main(String[] args) throws Exception {
        Coordinator.Config config;
        String metricsListen;
        ConsoleConfig consoleConfig;
        try {
            Startup startup = ServiceArgs.parse(FLAGS, args, a -> new Startup(parse(a), metricsListen(a), console(a)));
            config = startup.config();
            metricsListen = startup.metricsListen();
            consoleConfig = startup.console();
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        CodecWarmup.inBackground(); // heals decode and encode: compiled before the first one, not during it
        Coordinator coordinator = Coordinator.start(config);
        MetricsServer metrics =
                metricsListen == null ? null : MetricsServer.start(metricsListen, coordinator.metrics(), () -> true);
        Console console = consoleConfig == null ? null : Console.start(consoleConfig, config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            log.info("coordinator {} stopping", config.id());
                            if (metrics != null) metrics.close();
                            if (console != null) console.close();
                            coordinator.close();
                            stopped.countDown();
                            LogManager.shutdown();
                        },
                        "shutdown"));
        stopped.await();
    }

    private static Duration seconds(String flag, String value) {
        return Duration.ofSeconds(FlagValues.integer64(flag, value));
    }

    /** The web console's settings from the --console-* flags, or null without --console-listen (no console). */
    public static ConsoleConfig console(String[] args) {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].startsWith("--console-")) flags.put(args[i].substring(2), args[i + 1]);
        }
        String listen = flags.get("console-listen");
        if (listen == null) {
            if (!flags.isEmpty()) throw new BadFlag("console-listen", "is needed by the other --console-* flags");
            return null;
        }
        String gateway = flags.get("console-gateway");
        if (gateway == null || gateway.isBlank()) throw BadFlag.missing("console-gateway");
        List<URI> metrics = new ArrayList<>();
        for (String u : flags.getOrDefault("console-gateway-metrics", "").split(",")) {
            if (!u.isBlank()) metrics.add(url("console-gateway-metrics", u.strip()));
        }
        String cert = flags.get("console-tls-cert");
        String key = flags.get("console-tls-key");
        if ((cert == null) != (key == null)) throw new BadFlag("console-tls-cert", "and --console-tls-key go together");
        return new ConsoleConfig(
                listen,
                url("console-gateway", gateway),
                metrics,
                "us-east-1",
                cert == null ? null : Path.of(cert),
                key == null ? null : Path.of(key),
                ConsoleConfig.DEFAULT_SESSION_IDLE);
    }

    private static URI url(String flag, String value) {
        try {
            URI u = new URI(value);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null)
                throw new BadFlag(flag, "must be an http:// or https:// URL, got " + value);
            return u;
        } catch (URISyntaxException e) {
            throw new BadFlag(flag, "must be an http:// or https:// URL, got " + value);
        }
    }

    /** The --metrics-listen HOST:PORT, or null when absent (no metrics endpoint). */
    public static String metricsListen(String[] args) {
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--metrics-listen")) return args[i + 1];
        }
        return null;
    }

    /** The coordinator's configuration from its command line; IllegalArgumentException on a bad or unknown flag. */
    public static Coordinator.Config parse(String[] args) {
        String id = null;
        String etcd = null;
        String prefix = "/basalt/";
        long graceSeconds = 300;
        Duration uploadExpiry = Coordinator.Config.DEFAULT_UPLOAD_EXPIRY;
        Duration healGrace = Coordinator.Config.DEFAULT_HEAL_GRACE;
        long healRate = Coordinator.Config.DEFAULT_HEAL_BYTES_PER_SECOND;
        Duration orphanGrace = Coordinator.Config.DEFAULT_ORPHAN_GRACE;
        Duration orphanInterval = Coordinator.Config.DEFAULT_ORPHAN_INTERVAL;
        String clusterTls = null;
        Duration lifecycleInterval = Coordinator.Config.LifecycleTiming.DEFAULT.interval();
        Duration lifecycleDay = Coordinator.Config.LifecycleTiming.DEFAULT.day();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) throw new IllegalArgumentException("missing value for " + flag);
            String value = args[++i];
            if (!flag.startsWith("--") || !FLAGS.knows(flag.substring(2)))
                throw new IllegalArgumentException("unknown flag " + flag);
            String name = flag.substring(2);
            switch (name) {
                case "id" -> id = value;
                case "etcd" -> etcd = value;
                case "etcd-prefix" -> prefix = value.endsWith("/") ? value : value + "/";
                case "gc-grace-seconds" -> graceSeconds = FlagValues.integer64(name, value);
                case "upload-expiry-hours" -> uploadExpiry = Duration.ofHours(FlagValues.integer64(name, value));
                case "heal-grace-seconds" -> healGrace = seconds(name, value);
                case "heal-rate-mbps" -> {
                    double mb = FlagValues.decimal(name, value);
                    if (mb < 0) throw new BadFlag(name, "must be >= 0");
                    healRate = io.basalt.core.throttle.ByteRateLimiter.mbPerSecond(mb);
                }
                case "orphan-grace-seconds" -> orphanGrace = seconds(name, value);
                case "orphan-interval-seconds" -> orphanInterval = seconds(name, value);
                case "cluster-tls" -> clusterTls = value;
                case "lifecycle-interval-seconds" -> lifecycleInterval = seconds(name, value);
                case "lifecycle-day-seconds" -> lifecycleDay = seconds(name, value);
                case "metrics-listen",
                        "console-listen",
                        "console-gateway",
                        "console-gateway-metrics",
                        "console-tls-cert",
                        "console-tls-key" -> {} // served by main, not part of the coordinator's config
                default -> throw new IllegalStateException("a flag in FLAGS without a case: " + flag);
            }
        }
        if (id == null || id.isBlank()) throw BadFlag.missing("id");
        if (etcd == null || etcd.isBlank()) throw BadFlag.missing("etcd");
        if (graceSeconds < 0) throw new BadFlag("gc-grace-seconds", "must be >= 0");
        if (orphanGrace.isNegative()) throw new BadFlag("orphan-grace-seconds", "must be >= 0");
        if (orphanInterval.compareTo(Duration.ofSeconds(1)) < 0)
            throw new BadFlag("orphan-interval-seconds", "must be >= 1");
        if (lifecycleInterval.compareTo(Duration.ofSeconds(1)) < 0)
            throw new BadFlag("lifecycle-interval-seconds", "must be >= 1");
        if (lifecycleDay.compareTo(Duration.ofSeconds(1)) < 0)
            throw new BadFlag("lifecycle-day-seconds", "must be >= 1");
        List<String> endpoints = io.basalt.core.meta.Etcd.parseEndpoints(etcd);
        return new Coordinator.Config(
                id,
                endpoints,
                prefix,
                Duration.ofSeconds(graceSeconds),
                Duration.ofSeconds(10),
                10,
                uploadExpiry,
                healGrace,
                healRate,
                orphanGrace,
                orphanInterval,
                io.basalt.core.tls.ClusterTls.dirFlag(clusterTls),
                new Coordinator.Config.LifecycleTiming(lifecycleInterval, lifecycleDay));
    }
}
