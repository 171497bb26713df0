package io.basalt.coordinator.admin;

import io.basalt.core.tls.CertificateAuthority;
import io.basalt.core.tls.ClusterTls;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code basalt admin tls}: the cluster's own CA and the certificates its processes and etcd present to
 * each other (for clusters that do not take them from cert-manager or another PKI). Needs no etcd.
 */
final class TlsCommand {

    static final String USAGE = """
              tls create-ca --dir DIR [--days 3650]
                               a new cluster CA: DIR/ca.crt and DIR/ca.key (keep ca.key off the hosts)
              tls issue --ca DIR --out DIR --host H[,H...] [--name NAME] [--days 365]
                               a certificate for the hosts (IP addresses or DNS names peers dial),
                               for server and client use: OUT/ca.crt, OUT/tls.crt, OUT/tls.key, as
                               --cluster-tls OUT of every service and etcd's TLS flags read them
            """.stripTrailing();

    private TlsCommand() {}

    /** @return the exit status: 0 done, 1 failed, 2 bad usage */
    static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (argv.isEmpty()) return usage(err, "tls needs create-ca or issue");
        Map<String, String> flags;
        try {
            flags = flags(argv.subList(1, argv.size()));
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        }
        try {
            return switch (argv.getFirst()) {
                case "create-ca" -> createCa(flags, out, err);
                case "issue" -> issue(flags, out, err);
                default -> usage(err, "unknown tls command " + argv.getFirst());
            };
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        } catch (IOException e) {
            err.println("basalt admin tls: " + e.getMessage());
            return 1;
        }
    }

    private static int createCa(Map<String, String> flags, PrintStream out, PrintStream err) throws IOException {
        allow(flags, "dir", "days");
        Path dir = Path.of(required(flags, "dir"));
        if (Files.exists(dir.resolve(CertificateAuthority.KEY_FILE))) {
            err.println("basalt admin tls: " + dir.resolve(CertificateAuthority.KEY_FILE)
                    + " exists; a new CA would orphan every certificate it signed. Remove it first to start over.");
            return 1;
        }
        CertificateAuthority ca = CertificateAuthority.create("basalt-cluster-ca", days(flags, 3650));
        ca.save(dir);
        out.println("cluster CA in " + dir + " (valid until "
                + ca.certificate().getNotAfter().toInstant() + ")");
        return 0;
    }

    private static int issue(Map<String, String> flags, PrintStream out, PrintStream err) throws IOException {
        allow(flags, "ca", "out", "host", "name", "days");
        List<String> hosts = Arrays.stream(required(flags, "host").split(","))
                .map(String::trim)
                .filter(h -> !h.isEmpty())
                .toList();
        if (hosts.isEmpty()) throw new IllegalArgumentException("--host names at least one address");
        CertificateAuthority ca = CertificateAuthority.load(Path.of(required(flags, "ca")));
        Path outDir = Path.of(required(flags, "out"));
        String name = flags.getOrDefault("name", hosts.getFirst().replace("*", "wildcard"));
        ca.issue(outDir, name, hosts, days(flags, 365));
        out.println("certificate for " + String.join(", ", hosts) + " in " + outDir.resolve(ClusterTls.CERT_FILE)
                + " (key " + outDir.resolve(ClusterTls.KEY_FILE) + ", CA " + outDir.resolve(ClusterTls.CA_FILE) + ")");
        return 0;
    }

    private static Duration days(Map<String, String> flags, long byDefault) {
        String v = flags.get("days");
        long days;
        try {
            days = v == null ? byDefault : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--days takes a whole number, got " + v);
        }
        if (days < 1) throw new IllegalArgumentException("--days must be at least 1");
        return Duration.ofDays(days);
    }

    private static Map<String, String> flags(List<String> args) {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i < args.size(); i += 2) {
            String a = args.get(i);
            if (!a.startsWith("--") || i + 1 >= args.size())
                throw new IllegalArgumentException("expected --flag value pairs, got " + a);
            flags.put(a.substring(2), args.get(i + 1));
        }
        return flags;
    }

    private static void allow(Map<String, String> flags, String... names) {
        List<String> known = List.of(names);
        flags.keySet().stream().filter(k -> !known.contains(k)).findFirst().ifPresent(k -> {
            throw new IllegalArgumentException("unknown flag --" + k);
        });
    }

    private static String required(Map<String, String> flags, String name) {
        String v = flags.get(name);
        if (v == null || v.isBlank()) throw new IllegalArgumentException("missing --" + name);
        return v;
    }

    private static int usage(PrintStream err, String message) {
        err.println("basalt admin tls: " + message);
        err.println("usage:\n" + USAGE);
        return 2;
    }
}
