package io.basalt.gateway;

import io.basalt.core.meta.Etcd;
import io.basalt.gateway.auth.Credentials;
import org.apache.logging.log4j.LogManager;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code GatewayMain --listen HOST:PORT --etcd URL[,URL] [--etcd-prefix /basalt/] [--ec K+M]
 * [--access-key A --secret-key S] [--block-size BYTES] [--workers N] [--domain s3.example.com]
 * [--metrics-listen HOST:PORT] [--write-quorum N]}. The write quorum (durable shards a PUT or part
 * needs) defaults to k+1, k when m = 1.
 * With --domain, hosts {@code <bucket>.<domain>} address buckets virtual-hosted-style.
 * Credentials also come from BASALT_ACCESS_KEY / BASALT_SECRET_KEY; the default is minioadmin/minioadmin.
 */
public final class GatewayMain {

    private GatewayMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> flags = parse(args);
        String listen = flags.getOrDefault("listen", "127.0.0.1:9000");
        int colon = listen.lastIndexOf(':');
        String[] ec = flags.getOrDefault("ec", "4+2").split("\\+");
        String access = flags.getOrDefault("access-key", env("BASALT_ACCESS_KEY", "minioadmin"));
        String secret = flags.getOrDefault("secret-key", env("BASALT_SECRET_KEY", "minioadmin"));
        GatewayConfig cfg = new GatewayConfig(
                listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)),
                Etcd.parseEndpoints(flags.getOrDefault("etcd", "http://127.0.0.1:2379")),
                flags.getOrDefault("etcd-prefix", "/basalt/"),
                Integer.parseInt(ec[0]), Integer.parseInt(ec[1]),
                Integer.parseInt(flags.getOrDefault("block-size", String.valueOf(GatewayConfig.DEFAULT_BLOCK_SIZE))),
                Credentials.single(access, secret),
                Integer.parseInt(flags.getOrDefault("workers", "64")),
                Long.parseLong(flags.getOrDefault("io-timeout-ms", "30000")),
                GatewayConfig.S3_MIN_PART_SIZE,
                flags.get("domain"),
                flags.get("metrics-listen"),
                Integer.parseInt(flags.getOrDefault("write-quorum", "0")));
        Gateway gateway = Gateway.start(cfg);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LogManager.getLogger(GatewayMain.class).info("gateway stopping");
            gateway.close();
            stopped.countDown();
            LogManager.shutdown(); // log4j's own hook is disabled so these last lines are logged
        }, "shutdown"));
        stopped.await();
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --flag value pairs, got " + args[i]);
            }
            out.put(args[i].substring(2), args[++i]);
        }
        return out;
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }
}
