package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./basalt package}: the archive bare-metal hosts install and the image unpacks holds the layout
 * bin/basalt runs from, owned by root, and two builds of the same tree are the same bytes.
 */
class ReleasePackageTest {

    @Test
    void theArchiveHoldsTheLauncherLayoutAndIsReproducible(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(BareMetalTest.onPath("tar") && BareMetalTest.onPath("sha256sum"), "no tar or sha256sum");
        Path first = pack(tmp.resolve("a"));
        Path second = pack(tmp.resolve("b"));
        assertEquals(first.getFileName(), second.getFileName());
        String sum = Files.readString(Path.of(first + ".sha256"));
        assertEquals(sum, Files.readString(Path.of(second + ".sha256")), "two builds of one tree, the same bytes");
        BareMetalTest.Run check =
                BareMetalTest.run(first.getParent(), List.of("sha256sum", "-c", first.getFileName() + ".sha256"));
        assertEquals(0, check.status(), check.output());

        String name = first.getFileName().toString().replace(".tar.gz", "");
        assertTrue(name.matches("basalt-[0-9][0-9A-Za-z.-]*"), name);
        Map<String, String> entries = new TreeMap<>(); // path -> "mode owner"
        BareMetalTest.Run list = BareMetalTest.run(
                first.getParent(), List.of("tar", "-tvzf", first.getFileName().toString(), "--numeric-owner"));
        assertEquals(0, list.status(), list.output());
        for (String line : list.output().lines().toList()) {
            String[] f = line.trim().split("\\s+");
            // -rwxr-xr-x 0/0 6048 2026-12-03 16:21 basalt-0.2.0/bin/basalt [link to ...]
            assertEquals("0/0", f[1], "owned by root: " + line);
            assertTrue(f[5].startsWith(name + "/"), "everything under one directory: " + line);
            entries.put(f[5].substring(name.length() + 1), f[0]);
        }
        assertEquals("-rwxr-xr-x", entries.get("bin/basalt"), "the launcher runs");
        for (String file : List.of(
                "services.properties", "VERSION", "share/examples/README.md", "share/examples/credentials.example")) {
            assertTrue(entries.containsKey(file), file);
        }
        for (String module : List.of("gateway", "storage-node", "coordinator")) {
            assertTrue(
                    entries.containsKey(module + "/basalt-" + module + ".jar"),
                    module + "'s jar, as bin/basalt names it");
            assertTrue(
                    entries.keySet().stream().anyMatch(e -> e.startsWith(module + "/lib/basalt-core-")),
                    module + "/lib holds its dependencies");
            assertTrue(entries.containsKey("share/systemd/basalt-" + module + ".service"), module + "'s unit");
        }
        for (Path host : BareMetalTest.hosts()) {
            assertTrue(
                    entries.containsKey("share/examples/" + host.getFileName() + "/basalt.properties"),
                    host.toString());
            assertTrue(entries.containsKey("share/examples/" + host.getFileName() + "/etcd"), host.toString());
        }
        entries.forEach((path, mode) -> assertTrue(
                mode.matches("[-dh]r[-w][-x]r-[-x]r-[-x]"), path + " " + mode + ": readable by all, written by root"));
    }

    /** Runs ./basalt package --no-build into {@code out}: the archive of the modules' jars already built. */
    static Path pack(Path out) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                        "bash",
                        ThreeHostCluster.ROOT.resolve("basalt").toString(),
                        "package",
                        "--no-build",
                        "--out",
                        out.toString())
                .redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        BareMetalTest.Run r = BareMetalTest.run(pb);
        assertEquals(0, r.status(), "./basalt package --no-build: " + r.output());
        return Path.of(r.output().strip().lines().reduce((a, b) -> b).orElseThrow());
    }
}
