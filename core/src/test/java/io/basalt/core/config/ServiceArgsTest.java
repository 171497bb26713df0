package io.basalt.core.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A host config file as each service sees it: its keys become flags, the command line wins, errors name the key. */
class ServiceArgsTest {

    private static final ServiceFlags NODE =
            new ServiceFlags("storage-node", Set.of("id", "listen", "data", "etcd", "cluster-tls", "zone"), Set.of());
    private static final ServiceFlags GATEWAY =
            new ServiceFlags("gateway", Set.of("listen", "etcd", "cluster-tls"), Set.of("allow-default-credentials"));

    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        return Files.writeString(dir.resolve("basalt.properties"), String.join("\n", lines) + "\n");
    }

    private static String[] args(String... a) {
        return a;
    }

    @Test
    void withoutConfigTheCommandLineIsUntouched() {
        String[] argv = args("--id", "n1", "--zone", "a");
        ServiceArgs r = ServiceArgs.resolve(NODE, argv);
        assertArrayEquals(argv, r.args());
        assertNull(r.config());
    }

    @Test
    void hostWideAndRoleKeysBecomeFlagsAndTheCommandLineWins() throws IOException {
        Path f = file(
                "roles = storage-node, gateway",
                "etcd = https://10.77.0.1:2379,https://10.77.0.2:2379",
                "cluster-tls = /etc/basalt/tls",
                "storage-node.id = node-1",
                "storage-node.data = /srv/d1,/srv/d2",
                "storage-node.zone = rack-1",
                "storage-node.etcd = https://10.77.0.9:2379",
                "gateway.allow-default-credentials = false");
        ServiceArgs r = ServiceArgs.resolve(NODE, args("--zone", "rack-2", "--config", f.toString()));
        assertArrayEquals(
                args(
                        "--etcd", "https://10.77.0.9:2379", // the role's key overrides the host-wide one
                        "--cluster-tls", "/etc/basalt/tls",
                        "--id", "node-1",
                        "--data", "/srv/d1,/srv/d2",
                        "--zone", "rack-2"), // the command line's, appended after the file's flags
                r.args());
        assertEquals(f, r.config().file());
        assertEquals("storage-node.etcd", r.fromFile().get("etcd").key());

        assertArrayEquals(
                args("--etcd", "https://10.77.0.1:2379,https://10.77.0.2:2379", "--cluster-tls", "/etc/basalt/tls"),
                ServiceArgs.resolve(GATEWAY, args("--config", f.toString())).args(),
                "a false switch adds nothing");
    }

    @Test
    void aTrueSwitchIsTheBareFlag() throws IOException {
        Path f = file("roles=gateway", "gateway.allow-default-credentials=true");
        assertArrayEquals(
                args("--allow-default-credentials"),
                ServiceArgs.resolve(GATEWAY, args("--config", f.toString())).args());
        Path bad = file("roles=gateway", "gateway.allow-default-credentials=yes");
        assertEquals(
                bad + ": gateway.allow-default-credentials takes true or false, got yes",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ServiceArgs.resolve(GATEWAY, args("--config", bad.toString())))
                        .getMessage());
    }

    @Test
    void aBadValueFromTheFileIsToldAsItsKeyInItsFile() throws IOException {
        Path f = file("roles=storage-node", "storage-node.listen=10.77.0.2", "storage-node.id=n");
        ServiceArgs r = ServiceArgs.resolve(NODE, args("--config", f.toString()));
        assertEquals(
                f + ": storage-node.listen must be HOST:PORT, got 10.77.0.2",
                r.explain(new BadFlag("listen", "must be HOST:PORT, got 10.77.0.2")));
        assertEquals(f + ": storage-node.data is required (or --data)", r.explain(BadFlag.missing("data")));
        // the services' other checks start with the flag too
        assertEquals(
                f + ": storage-node.listen and --advertise disagree",
                r.explain(new IllegalArgumentException("--listen and --advertise disagree")));
        assertEquals(
                "node id is required (from the command line and " + f + ")",
                r.explain(new IllegalArgumentException("node id is required")));
        // a value the command line gave is the command line's mistake
        ServiceArgs cli = ServiceArgs.resolve(NODE, args("--config", f.toString(), "--listen", "x"));
        assertEquals(
                "--listen must be HOST:PORT, got x", cli.explain(new BadFlag("listen", "must be HOST:PORT, got x")));
    }

    @Test
    void theFileMustBeForThisRoleAndItsKeysItsFlags() throws IOException {
        Path gatewayOnly = file("roles=gateway", "etcd=http://e:2379");
        assertEquals(
                gatewayOnly + ": roles (gateway) does not name storage-node: this host does not run it",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ServiceArgs.resolve(NODE, args("--config", gatewayOnly.toString())))
                        .getMessage());
        Path typo = file("roles=storage-node", "storage-node.dat=/srv/d1");
        assertEquals(
                typo + ": unknown key storage-node.dat (storage-node takes storage-node.cluster-tls, storage-node.data,"
                        + " storage-node.etcd, storage-node.id, storage-node.listen, storage-node.zone)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ServiceArgs.resolve(NODE, args("--config", typo.toString())))
                        .getMessage());
        assertEquals(
                "--config needs a FILE",
                assertThrows(IllegalArgumentException.class, () -> ServiceArgs.resolve(NODE, args("--config")))
                        .getMessage());
        assertEquals(
                dir.resolve("absent") + ": no such file",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ServiceArgs.resolve(
                                        NODE,
                                        args("--config", dir.resolve("absent").toString())))
                        .getMessage());
    }
}
