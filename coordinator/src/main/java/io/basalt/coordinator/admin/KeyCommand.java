package io.basalt.coordinator.admin;

import io.basalt.core.meta.AccessStore;
import io.basalt.core.meta.ClusterMetadata;
import io.basalt.core.meta.Etcd;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.Keys;
import io.basalt.core.secrets.AccessKeys;
import io.basalt.core.secrets.ClusterKey;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.meta.AccessKeyRecord;
import io.basalt.proto.meta.BucketGrant;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.UnaryOperator;

/**
 * {@code basalt admin key}: S3 access keys besides the root key, and what each may do in which
 * bucket (read, write, owner). Keys live in etcd with their secrets sealed by the cluster key, so
 * making one needs that key's file; gateways see a change within the etcd watch's delay.
 */
final class KeyCommand {

    static final String USAGE = """
              key cluster-key --out FILE
                               a new cluster key (32 random bytes, base64): gateways take it as
                               --cluster-key FILE to open stored keys' secrets; keep it like a password
              key create [--name TEXT] [--bucket B --allow read,write,owner]
                               a new access key: prints its id and secret (the secret only this once)
              key list         every key, with its grants
              key allow KEY_ID BUCKET read[,write][,owner]
                               what the key may do in BUCKET (replaces what it could)
              key deny KEY_ID BUCKET
                               the key may do nothing in BUCKET any more
              key delete KEY_ID
              key commands take --cluster-key FILE (else gateway.cluster-key of --config FILE, else
              BASALT_CLUSTER_KEY_FILE, else the dev cluster's DIR/cluster.key) and the connection options above.""".stripTrailing();

    private KeyCommand() {}

    /** @return the exit status: 0 done, 1 failed, 2 bad usage */
    static int run(List<String> argv, PrintStream out, PrintStream err, UnaryOperator<String> env) {
        if (argv.isEmpty()) return usage(err, "key needs a command: cluster-key, create, list, allow, deny, delete");
        String command = argv.getFirst();
        Map<String, String> flags = new HashMap<>();
        List<String> positional = new ArrayList<>();
        try {
            for (int i = 1; i < argv.size(); i++) {
                String a = argv.get(i);
                if (a.startsWith("--")) {
                    if (i + 1 >= argv.size()) throw new IllegalArgumentException(a + " needs a value");
                    flags.put(a.substring(2), argv.get(++i));
                } else {
                    positional.add(a);
                }
            }
            if (command.equals("cluster-key")) return clusterKey(flags, out, err);
            for (String f : flags.keySet()) {
                if (!List.of("data", "etcd", "etcd-prefix", "cluster-tls", "cluster-key", "name", "bucket", "allow")
                        .contains(f)) throw new IllegalArgumentException("unknown option --" + f);
            }
            Path data = Path.of(flags.getOrDefault("data", ".basalt/dev"));
            String etcd = flags.containsKey("etcd") ? flags.get("etcd") : AdminMain.devEtcd(data);
            String prefix = flags.getOrDefault("etcd-prefix", "/basalt/");
            if (!prefix.endsWith("/")) prefix += "/";
            AdminMain.Args conn = new AdminMain.Args(
                    "key", flags.get("etcd"), prefix, data, false, null, false, null, flags.get("cluster-tls"));
            Path tlsDir = AdminMain.tlsDir(conn, etcd, env.apply("BASALT_CLUSTER_TLS"));
            try (ClusterTls tls = tlsDir == null ? null : ClusterTls.open(tlsDir);
                    ClusterMetadata meta = EtcdMetadata.connect(Etcd.parseEndpoints(etcd), new Keys(prefix), tls)) {
                AccessStore keys = meta.access();
                return switch (command) {
                    case "create" -> create(keys, clusterKeyFile(flags, env, data), flags, positional, out, err);
                    case "list" -> list(keys, positional, out);
                    case "allow" -> allow(keys, positional, out, err);
                    case "deny" -> deny(keys, positional, out);
                    case "delete" -> delete(keys, positional, out, err);
                    default -> throw new IllegalArgumentException("unknown key command " + command);
                };
            }
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        } catch (IOException e) {
            err.println("basalt admin key: " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            err.println("basalt admin key: " + e.getMessage());
            return 1;
        }
    }

    private static int clusterKey(Map<String, String> flags, PrintStream out, PrintStream err) throws IOException {
        String file = flags.get("out");
        if (file == null || flags.size() != 1) throw new IllegalArgumentException("cluster-key takes --out FILE only");
        ClusterKey key;
        try {
            key = ClusterKey.create(Path.of(file));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            err.println(
                    "basalt admin key: " + file
                            + " exists; a new cluster key would make every stored key unusable. Remove it first to start over.");
            return 1;
        }
        out.println("cluster key " + key.id() + " written to " + file + " (mode 0600)");
        return 0;
    }

    private static Path clusterKeyFile(Map<String, String> flags, UnaryOperator<String> env, Path data) {
        if (flags.containsKey("cluster-key")) return Path.of(flags.get("cluster-key"));
        String fromEnv = env.apply("BASALT_CLUSTER_KEY_FILE");
        if (fromEnv != null && !fromEnv.isBlank()) return Path.of(fromEnv);
        return data.resolve("cluster.key");
    }

    private static int create(
            AccessStore keys,
            Path clusterKeyFile,
            Map<String, String> flags,
            List<String> positional,
            PrintStream out,
            PrintStream err)
            throws IOException {
        if (!positional.isEmpty()) throw new IllegalArgumentException("unexpected argument " + positional.getFirst());
        if (flags.containsKey("bucket") != flags.containsKey("allow"))
            throw new IllegalArgumentException("--bucket and --allow go together");
        BucketGrant grant = flags.containsKey("allow") ? parseGrant(flags.get("allow")) : null;
        ClusterKey clusterKey = ClusterKey.load(clusterKeyFile);
        AccessKeys.Issued issued =
                AccessKeys.issue(flags.getOrDefault("name", ""), clusterKey, System.currentTimeMillis());
        if (!keys.create(issued.record())) {
            err.println("basalt admin key: an access key " + issued.record().getAccessKeyId()
                    + " exists already; run the command again");
            return 1;
        }
        String id = issued.record().getAccessKeyId();
        if (grant != null) {
            AccessStore.GrantResult r = keys.grant(flags.get("bucket"), id, grant);
            if (r != AccessStore.GrantResult.DONE) {
                keys.delete(id);
                err.println("basalt admin key: no bucket " + flags.get("bucket") + "; the key was not kept");
                return 1;
            }
        }
        out.println("AccessKeyId:     " + id);
        out.println("SecretAccessKey: " + issued.secret());
        out.println("(the secret is shown only now; it is stored sealed with cluster key " + clusterKey.id() + ")");
        if (grant != null) out.println(flags.get("bucket") + ": " + describe(grant));
        return 0;
    }

    private static int list(AccessStore keys, List<String> positional, PrintStream out) {
        if (!positional.isEmpty()) throw new IllegalArgumentException("unexpected argument " + positional.getFirst());
        List<AccessKeyRecord> all = keys.list();
        if (all.isEmpty()) out.println("no access keys besides the root key");
        for (AccessKeyRecord k : all) {
            StringJoiner grants = new StringJoiner(", ");
            keys.grantsOf(k.getAccessKeyId()).forEach((bucket, g) -> grants.add(bucket + ": " + describe(g)));
            out.println(k.getAccessKeyId() + "  " + (k.getName().isEmpty() ? "-" : k.getName()) + "  created "
                    + Instant.ofEpochMilli(k.getCreatedUnixMs()) + "  cluster key " + k.getClusterKeyId() + "  "
                    + (grants.length() == 0 ? "no grants" : grants));
        }
        return 0;
    }

    private static int allow(AccessStore keys, List<String> positional, PrintStream out, PrintStream err) {
        if (positional.size() != 3) throw new IllegalArgumentException("allow needs KEY_ID BUCKET read,write,owner");
        BucketGrant grant = parseGrant(positional.get(2));
        return switch (keys.grant(positional.get(1), positional.get(0), grant)) {
            case DONE -> {
                out.println(positional.get(0) + " in " + positional.get(1) + ": " + describe(grant));
                yield 0;
            }
            case NO_SUCH_KEY -> {
                err.println("basalt admin key: no access key " + positional.get(0));
                yield 1;
            }
            case NO_SUCH_BUCKET -> {
                err.println("basalt admin key: no bucket " + positional.get(1));
                yield 1;
            }
        };
    }

    private static int deny(AccessStore keys, List<String> positional, PrintStream out) {
        if (positional.size() != 2) throw new IllegalArgumentException("deny needs KEY_ID BUCKET");
        boolean had = keys.revoke(positional.get(1), positional.get(0));
        out.println(
                had
                        ? positional.get(0) + " may do nothing in " + positional.get(1) + " now"
                        : positional.get(0) + " had no grant in " + positional.get(1));
        return 0;
    }

    private static int delete(AccessStore keys, List<String> positional, PrintStream out, PrintStream err) {
        if (positional.size() != 1) throw new IllegalArgumentException("delete needs KEY_ID");
        if (!keys.delete(positional.getFirst())) {
            err.println("basalt admin key: no access key " + positional.getFirst());
            return 1;
        }
        out.println("deleted " + positional.getFirst() + ": requests signed with it are refused from now on");
        return 0;
    }

    static BucketGrant parseGrant(String text) {
        BucketGrant.Builder g = BucketGrant.newBuilder();
        for (String p : text.split(",")) {
            switch (p.strip()) {
                case "read" -> g.setRead(true);
                case "write" -> g.setWrite(true);
                case "owner" -> g.setOwner(true);
                default ->
                    throw new IllegalArgumentException(
                            "permissions are read, write and owner, comma-separated; not '" + p + "'");
            }
        }
        return g.build();
    }

    static String describe(BucketGrant g) {
        StringJoiner j = new StringJoiner(",");
        if (g.getRead()) j.add("read");
        if (g.getWrite()) j.add("write");
        if (g.getOwner()) j.add("owner");
        return j.toString();
    }

    private static int usage(PrintStream err, String message) {
        err.println("basalt admin key: " + message);
        err.println(USAGE);
        return 2;
    }
}
