package io.basalt.gateway;

import io.basalt.core.config.BadFlag;
import io.basalt.core.config.FlagValues;
import io.basalt.core.config.ServiceArgs;
import io.basalt.core.config.ServiceFlags;
import io.basalt.core.data.LaneMd5;
import io.basalt.core.erasure.CodecWarmup;
import io.basalt.core.meta.Etcd;
import io.basalt.core.tls.ClusterTls;
import io.basalt.gateway.auth.Credentials;
import io.basalt.gateway.auth.RootCredentials;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.apache.logging.log4j.LogManager;

/**
 * {@code GatewayMain --listen HOST:PORT --etcd URL[,URL] [--etcd-prefix /basalt/] [--ec K+M]
 * [--access-key A] [--block-size BYTES] [--workers N] [--io-timeout-ms MS] [--domain s3.example.com]
 * [--metrics-listen HOST:PORT] [--write-quorum N] [--shutdown-grace-seconds S] [--small-object-threshold BYTES]
 * [--tls-cert FILE --tls-key FILE] [--max-connections 1024] [--cluster-key FILE] [--allow-default-credentials]
 * [--body-memory-mib N]
 * --cluster-tls DIR|none}. With --tls-cert and --tls-key (PEM chain, PKCS#8 key) the S3 port speaks HTTPS.
 * With --cluster-key (else BASALT_CLUSTER_KEY_FILE) the access keys stored in etcd ({@code basalt admin key})
 * are served besides the root key. Writes hold at most --body-memory-mib of request bodies in memory at
 * once (default a third of the heap); past it they wait up to 2 s, then answer 503 SlowDown.
 * A PutObject or CopyObject of at most the threshold (default 64 KiB, 0 for none) is stored as 1+m copies. The write quorum (durable
 * shards a PUT or part needs) defaults to k+1, k when m = 1. On SIGTERM the gateway answers new requests
 * with 503 and lets those in flight finish for up to the shutdown grace (default 25 s, within
 * Kubernetes' 30 s termination grace).
 * With --domain, hosts {@code <bucket>.<domain>} address buckets virtual-hosted-style.
 * The root key comes from --credentials FILE (access-key= and secret-key= lines), else BASALT_ACCESS_KEY /
 * BASALT_SECRET_KEY (never the command line, where any user sees it). --config FILE reads a host config file
 * (gateway.&lt;flag&gt; keys; see {@link io.basalt.core.config.HostConfig}), flags on the command line win;
 * the default minioadmin/minioadmin is refused on an address beyond loopback without --allow-default-credentials.
 */
public final class GatewayMain {

    private static final String USAGE =
            "usage: GatewayMain --listen HOST:PORT --etcd URL[,URL] [--etcd-prefix /basalt/]"
                    + " [--ec K+M] [--access-key A] [--block-size BYTES] [--workers N] [--io-timeout-ms MS]"
                    + " [--domain D] [--metrics-listen HOST:PORT] [--write-quorum N] [--shutdown-grace-seconds S]"
                    + " [--small-object-threshold BYTES] [--tls-cert FILE --tls-key FILE] [--max-connections N]"
                    + " [--cluster-key FILE] [--allow-default-credentials] [--body-memory-mib N] [--credentials FILE]"
                    + " [--config FILE] --cluster-tls DIR|none";
    // a misspelt flag is refused rather than silently ignored (deployment manifests and host config files are
    // checked against this); each is also the host config key gateway.<flag>
    public static final ServiceFlags FLAGS = new ServiceFlags(
            "gateway",
            Set.of(
                    "listen",
                    "etcd",
                    "etcd-prefix",
                    "ec",
                    "access-key",
                    "credentials",
                    "block-size",
                    "workers",
                    "io-timeout-ms",
                    "domain",
                    "metrics-listen",
                    "write-quorum",
                    "shutdown-grace-seconds",
                    "small-object-threshold",
                    "cluster-tls",
                    "tls-cert",
                    "tls-key",
                    "max-connections",
                    "cluster-key",
                    "body-memory-mib"),
            // flags without a value
            Set.of("allow-default-credentials"));

    private GatewayMain() {}

    public static void main(String[] args) throws InterruptedException {
        GatewayConfig cfg;
        try {
            cfg = ServiceArgs.parse(FLAGS, args, a -> config(a, System::getenv));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        CodecWarmup.inBackground(); // the first degraded read or PUT would otherwise decode with cold vector code
        LaneMd5.start(); // its warm-up done before the first PUT, which until then hashes with MessageDigest
        Gateway gateway = Gateway.start(cfg);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            LogManager.getLogger(GatewayMain.class).info("gateway stopping");
                            gateway.close();
                            stopped.countDown();
                            LogManager.shutdown(); // log4j's own hook is disabled so these last lines are logged
                        },
                        "shutdown"));
        stopped.await();
    }

    /**
     * The gateway's configuration from its command line; credentials not given as flags come from
     * {@code env} (BASALT_ACCESS_KEY / BASALT_SECRET_KEY), else minioadmin/minioadmin.
     *
     * @throws IllegalArgumentException on an unknown flag or a malformed value
     */
    public static GatewayConfig config(String[] args, UnaryOperator<String> env) {
        Map<String, String> flags = parse(args);
        String listen = flags.getOrDefault("listen", "127.0.0.1:9000");
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) throw new BadFlag("listen", "must be HOST:PORT, got " + listen);
        String ec = flags.getOrDefault("ec", "4+2");
        if (!ec.matches("[1-9][0-9]*\\+[0-9]+")) throw new BadFlag("ec", "must be K+M, e.g. 4+2, got " + ec);
        String[] km = ec.split("\\+");
        Credentials root = RootCredentials.of(flags.get("access-key"), path(flags.get("credentials")), env);
        return new GatewayConfig(
                listen.substring(0, colon),
                FlagValues.integer("listen", listen.substring(colon + 1)),
                Etcd.parseEndpoints(flags.getOrDefault("etcd", "http://127.0.0.1:2379")),
                flags.getOrDefault("etcd-prefix", "/basalt/"),
                Integer.parseInt(km[0]),
                Integer.parseInt(km[1]),
                integer(flags, "block-size", GatewayConfig.DEFAULT_BLOCK_SIZE),
                root,
                integer(flags, "workers", 64),
                integer64(flags, "io-timeout-ms", 30000),
                GatewayConfig.S3_MIN_PART_SIZE,
                flags.get("domain"),
                flags.get("metrics-listen"),
                integer(flags, "write-quorum", 0),
                java.time.Duration.ofSeconds(integer64(flags, "shutdown-grace-seconds", 25)),
                integer64(flags, "small-object-threshold", GatewayConfig.DEFAULT_SMALL_OBJECT_THRESHOLD),
                ClusterTls.dirFlag(flags.get("cluster-tls")),
                path(flags.get("tls-cert")),
                path(flags.get("tls-key")),
                integer(flags, "max-connections", GatewayConfig.DEFAULT_MAX_CONNECTIONS),
                path(flags.getOrDefault("cluster-key", env.apply("BASALT_CLUSTER_KEY_FILE"))),
                flags.containsKey("allow-default-credentials"),
                integer64(flags, "body-memory-mib", 0) << 20);
    }

    private static int integer(Map<String, String> flags, String name, int byDefault) {
        return flags.containsKey(name) ? FlagValues.integer(name, flags.get(name)) : byDefault;
    }

    private static long integer64(Map<String, String> flags, String name, long byDefault) {
        return flags.containsKey(name) ? FlagValues.integer64(name, flags.get(name)) : byDefault;
    }

    private static java.nio.file.Path path(String value) {
        return value == null ? null : java.nio.file.Path.of(value);
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")
                    || i + 1 >= args.length && !FLAGS.switches().contains(args[i].substring(2))) {
                throw new IllegalArgumentException("expected --flag value pairs, got " + args[i]);
            }
            String name = args[i].substring(2);
            if (FLAGS.switches().contains(name)) {
                out.put(name, "true");
                continue;
            }
            if (name.equals("secret-key")) {
                throw new IllegalArgumentException(
                        "--secret-key is refused: a secret on the command line is visible to every user of the"
                                + " machine (ps); set BASALT_SECRET_KEY or give --credentials FILE instead");
            }
            if (!FLAGS.values().contains(name)) throw new IllegalArgumentException("unknown flag " + args[i]);
            out.put(name, args[++i]);
        }
        return out;
    }
}
