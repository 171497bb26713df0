package io.basalt.coordinator.admin;

import io.basalt.core.config.HostConfig;
import io.basalt.core.meta.ClusterAdmin;
import io.basalt.core.meta.ClusterMetadata;
import io.basalt.core.meta.Etcd;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.Keys;
import io.basalt.core.tls.ClusterTls;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.logging.log4j.LogManager;

/**
 * The operator's CLI ({@code ./basalt admin ...}): talks to etcd only, so it works with any
 * coordinator, gateway or node down. A command-line tool, so it writes to stdout, unlike the
 * services.
 */
public final class AdminMain {

    static final String USAGE = """
            usage: basalt admin <command> [--etcd URL[,URL]] [--etcd-prefix /basalt/] [--data DIR]
                               [--cluster-tls DIR|none] [--config FILE]
            commands:
              status [--json]  nodes (live/down, zone, free space), heal and gc progress, object health;
                               --json prints a stable document for scripts
              heal             ask the leading coordinator for a full heal scan of every object
              drain NODE       move every shard off NODE (new writes skip it at once); status shows
                               progress and "safe to remove" when no referenced shard is left on it
              drain --cancel NODE, undrain NODE
                               stop draining NODE: it takes new shards again
              rebalance [--tolerance POINTS]
                               move shards from nodes fuller than the mean by more than POINTS
                               percentage points (default 5) to emptier ones, only as many as needed
            """ + TlsCommand.USAGE + "\n" + KeyCommand.USAGE + """

            --config FILE takes etcd, etcd-prefix and cluster-tls from a host's config file
            (/etc/basalt/basalt.properties), and for key commands its gateway.cluster-key. Without --etcd, the etcd of the ./basalt dev cluster whose data is in DIR
            (default .basalt/dev) is used, from DIR/etcd-url (else DIR/ports), with DIR/tls for
            an https:// etcd. --cluster-tls (else BASALT_CLUSTER_TLS) names the certificates for
            an https:// etcd given with --etcd.""";

    /** Parsed command line. */
    record Args(
            String command,
            String etcd,
            String prefix,
            Path data,
            boolean json,
            String node,
            boolean cancel,
            Double tolerance,
            String clusterTls) {
        Args(String command, String etcd, String prefix, Path data, boolean json) {
            this(command, etcd, prefix, data, json, null, false, null, null);
        }
    }

    private AdminMain() {}

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        LogManager.shutdown();
        System.exit(status);
    }

    /** @return the process exit status: 0 done, 1 failed, 2 bad usage */
    static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length > 0 && argv[0].equals("tls")) {
            return TlsCommand.run(List.of(argv).subList(1, argv.length), out, err);
        }
        try {
            argv = withHostConfig(argv);
        } catch (IllegalArgumentException e) {
            err.println("basalt admin: " + e.getMessage());
            return 2;
        }
        if (argv.length > 0 && argv[0].equals("key")) {
            return KeyCommand.run(List.of(argv).subList(1, argv.length), out, err, System::getenv);
        }
        Args args;
        String etcd;
        Path tlsDir;
        try {
            args = parse(argv);
            if (args.command().equals("help")) {
                out.println(USAGE);
                return 0;
            }
            etcd = args.etcd() != null ? args.etcd() : devEtcd(args.data());
            tlsDir = tlsDir(args, etcd, System.getenv("BASALT_CLUSTER_TLS"));
        } catch (IllegalArgumentException e) {
            err.println("basalt admin: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        Keys keys = new Keys(args.prefix());
        try (ClusterTls tls = tlsDir == null ? null : ClusterTls.open(tlsDir);
                ClusterMetadata meta = EtcdMetadata.connect(Etcd.parseEndpoints(etcd), keys, tls)) {
            switch (args.command()) {
                case "status" -> {
                    ClusterStatus s = new StatusCollector(meta).collect();
                    out.println(args.json() ? s.toJson() : StatusText.format(s));
                }
                case "heal" -> {
                    AdminRequests.heal(meta.admin(), "basalt admin heal");
                    out.println("full heal requested: the leading coordinator scans every object on its next pass"
                            + " (status shows heal.request_pending until it is done)");
                }
                case "drain" -> {
                    if (args.cancel()) {
                        undrain(meta.admin(), args.node(), out);
                    } else if (AdminRequests.drain(meta.admin(), args.node())) {
                        out.println("draining " + args.node()
                                + ": it takes no new shards, and the leading coordinator moves"
                                + " its shards away; `basalt admin status` says when it is safe to remove");
                    } else {
                        out.println(
                                args.node() + " is already being drained; `basalt admin status` shows its progress");
                    }
                }
                case "undrain" -> undrain(meta.admin(), args.node(), out);
                case "rebalance" -> {
                    double t = args.tolerance() == null
                            ? AdminRequests.DEFAULT_REBALANCE_TOLERANCE_POINTS
                            : args.tolerance();
                    AdminRequests.rebalance(meta.admin(), t);
                    out.println(String.format(
                            Locale.ROOT,
                            "rebalance requested (tolerance %s points): the leading coordinator"
                                    + " moves shards until every node is within it of the mean; status shows progress",
                            t));
                }
                default -> throw new IllegalStateException("unreachable: " + args.command());
            }
            return 0;
        } catch (Exception e) {
            err.println("basalt admin: cannot reach etcd at " + etcd + ": " + rootMessage(e));
            return 1;
        }
    }

    private static void undrain(ClusterAdmin admin, String node, PrintStream out) {
        out.println(
                AdminRequests.undrain(admin, node)
                        ? "drain of " + node
                                + " cancelled: it takes new shards again (shards already moved stay where they are)"
                        : node + " was not being drained");
    }

    /**
     * {@code argv} with {@code --config FILE} replaced by the etcd, etcd-prefix and cluster-tls of that host
     * config file, where the command line does not give them; for {@code key} commands also the file of the
     * host's {@code gateway.cluster-key}, the key the gateway opens stored secrets with.
     */
    static String[] withHostConfig(String[] argv) {
        List<String> args = new ArrayList<>(List.of(argv));
        int at = args.indexOf("--config");
        if (at < 0) return argv;
        if (at + 1 >= args.size()) throw new IllegalArgumentException("--config needs a FILE");
        HostConfig config = HostConfig.load(Path.of(args.get(at + 1)));
        args.subList(at, at + 2).clear();
        // making a cluster key talks to no etcd (the launcher adds the host's --config to every admin command)
        if (args.size() > 1 && args.get(0).equals("key") && args.get(1).equals("cluster-key")) {
            return args.toArray(String[]::new);
        }
        config.shared().forEach((flag, value) -> {
            if (!args.contains("--" + flag)) args.addAll(List.of("--" + flag, value));
        });
        String clusterKey = config.keys().get("gateway.cluster-key");
        boolean keyCommand = !args.isEmpty() && args.get(0).equals("key");
        if (keyCommand && clusterKey != null && !args.contains("--cluster-key")) {
            args.addAll(List.of("--cluster-key", clusterKey));
        }
        return args.toArray(String[]::new);
    }

    static Args parse(String[] argv) {
        String command = null;
        String node = null;
        boolean cancel = false;
        Double tolerance = null;
        String etcd = null;
        String prefix = "/basalt/";
        Path data = Path.of(".basalt", "dev");
        String clusterTls = null;
        boolean json = false;
        List<String> rest = new ArrayList<>(List.of(argv));
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            switch (a) {
                case "--json" -> json = true;
                case "--etcd" -> etcd = value(rest, ++i, a);
                case "--etcd-prefix" -> {
                    prefix = value(rest, ++i, a);
                    if (!prefix.endsWith("/")) prefix += "/";
                }
                case "--data" -> data = Path.of(value(rest, ++i, a));
                case "--cluster-tls" -> clusterTls = value(rest, ++i, a);
                case "--cancel" -> cancel = true;
                case "--tolerance" -> {
                    String v = value(rest, ++i, a);
                    try {
                        tolerance = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--tolerance needs a number of percentage points, not " + v);
                    }
                    if (!(tolerance >= 0 && tolerance <= 100))
                        throw new IllegalArgumentException("--tolerance must be 0..100 points");
                }
                case "-h", "--help", "help" -> command = "help";
                default -> {
                    if (a.startsWith("-")) throw new IllegalArgumentException("unknown option " + a);
                    if (command == null) {
                        command = a;
                    } else if (!command.equals("help")
                            && List.of("drain", "undrain").contains(command)
                            && node == null) {
                        node = a;
                    } else if (!command.equals("help")) {
                        throw new IllegalArgumentException("unexpected argument " + a);
                    }
                }
            }
        }
        if (command == null) throw new IllegalArgumentException("a command is required");
        if (!List.of("status", "heal", "drain", "undrain", "rebalance", "help").contains(command)) {
            throw new IllegalArgumentException("unknown command " + command);
        }
        if (json && !command.equals("status")) throw new IllegalArgumentException("--json goes with status");
        if (cancel && !command.equals("drain")) throw new IllegalArgumentException("--cancel goes with drain");
        if (tolerance != null && !command.equals("rebalance"))
            throw new IllegalArgumentException("--tolerance goes with rebalance");
        if (List.of("drain", "undrain").contains(command) && (node == null || node.isBlank())) {
            throw new IllegalArgumentException(command + " needs a node id");
        }
        return new Args(command, etcd, prefix, data, json, node, cancel, tolerance, clusterTls);
    }

    /**
     * The certificates for etcd: --cluster-tls, else {@code env} (BASALT_CLUSTER_TLS, set in the pods), else
     * for the dev cluster's https:// etcd its DIR/tls; null for a plaintext etcd.
     */
    static Path tlsDir(Args args, String etcd, String env) {
        if (args.clusterTls() != null) return ClusterTls.dirFlag(args.clusterTls());
        if (env != null && !env.isBlank()) return ClusterTls.dirFlag(env);
        if (args.etcd() == null && etcd.startsWith("https://"))
            return args.data().resolve("tls");
        if (etcd.contains("https://")) {
            throw new IllegalArgumentException("an https:// etcd asks for a certificate: --cluster-tls DIR"
                    + " (or BASALT_CLUSTER_TLS) with ca.crt, tls.crt and tls.key of the cluster CA");
        }
        return null;
    }

    private static String value(List<String> args, int i, String flag) {
        if (i >= args.size()) throw new IllegalArgumentException(flag + " needs a value");
        return args.get(i);
    }

    /** The etcd endpoint ./basalt dev recorded in DIR/etcd-url, or in DIR/ports (line etcd-client=PORT). */
    static String devEtcd(Path data) {
        Path url = data.resolve("etcd-url");
        if (Files.isRegularFile(url)) {
            try {
                return Files.readString(url).trim();
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + url + ": " + e.getMessage());
            }
        }
        Path ports = data.resolve("ports");
        try {
            for (String line : Files.readAllLines(ports)) {
                if (line.startsWith("etcd-client="))
                    return "http://127.0.0.1:"
                            + line.substring("etcd-client=".length()).trim();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "no --etcd given and no dev cluster ports file at " + ports.toAbsolutePath());
        }
        throw new IllegalArgumentException(
                "no --etcd given and " + ports.toAbsolutePath() + " names no etcd-client port");
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
