package io.basalt.chaos;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A storage node whose disk fills up: its data dir is moved onto a size-limited tmpfs (its data plus 64 MiB)
 * that a ballast file then fills to the last byte. Writes to it must fail cleanly and go elsewhere (or be
 * refused with 503), it keeps serving reads, and nothing acknowledged is lost. At the end the ballast goes,
 * the data moves back to the real disk and the tmpfs is unmounted. Needs root (mount); without it the
 * scenario reports itself unsupported and is skipped.
 */
public final class DiskFull implements Scenario {

    private static final long HEADROOM = 64L << 20;
    private static volatile String unsupported;
    private static volatile boolean probed;

    @Override
    public String name() {
        return "disk-full";
    }

    @Override
    public String unsupported() {
        if (!probed) {
            unsupported = probe();
            probed = true;
        }
        return unsupported;
    }

    /** Null when a tmpfs can be mounted here, else why not. */
    private static String probe() {
        try {
            Path dir = Files.createTempDirectory("basalt-chaos-mount-probe-");
            try {
                if (run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.toString()) != 0) {
                    return "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)";
                }
                run("umount", dir.toString());
                return null;
            } finally {
                Files.deleteIfExists(dir);
            }
        } catch (IOException | InterruptedException e) {
            return "cannot mount a tmpfs here: " + e;
        }
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        int v = rnd.nextInt(c.nodeCount());
        Path dir = c.nodeDir(v);
        Path disk = dir.resolveSibling(dir.getFileName() + "-disk");
        long mib = (size(dir) + HEADROOM + (1 << 20) - 1) >> 20;
        long start = System.nanoTime();
        c.killNode(v);
        Files.move(dir, disk);
        Files.createDirectories(dir);
        if (run("mount", "-t", "tmpfs", "-o", "size=" + mib + "m", "tmpfs", dir.toString()) != 0) {
            Files.delete(dir);
            Files.move(disk, dir);
            c.restartNode(v);
            throw new IllegalStateException("mount of a tmpfs on " + dir + " failed");
        }
        try {
            copy(disk, dir);
            c.restartNode(v);
            c.awaitReady(Duration.ofSeconds(60));
            h.fault(name(), "node-" + (v + 1) + " restarted on a " + mib + " MiB tmpfs", start, System.nanoTime());
            long fill = System.nanoTime();
            long ballast = fillUp(dir.resolve("ballast"));
            Scenario.sleepUntil(Long.MAX_VALUE / 2_000_000, until);
            Files.deleteIfExists(dir.resolve("ballast"));
            h.fault(
                    name(),
                    "node-" + (v + 1) + "'s disk full (" + (ballast >> 20) + " MiB ballast) until freed",
                    fill,
                    System.nanoTime());
        } finally {
            // back onto the real disk: the tmpfs now holds everything the node has, the old copy is stale
            c.killNode(v);
            Files.deleteIfExists(dir.resolve("ballast"));
            ChaosMain.deleteTree(disk);
            Files.createDirectories(disk);
            copy(dir, disk);
            run("umount", dir.toString());
            Files.delete(dir);
            Files.move(disk, dir);
            c.restartNode(v);
            c.awaitReady(Duration.ofSeconds(60));
        }
    }

    /** Writes a file until the file system has no space left; returns its size. */
    private static long fillUp(Path file) throws IOException {
        byte[] buf = new byte[1 << 16];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(buf);
                written += buf.length;
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) throw e;
        }
        return written;
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    private static void copy(Path from, Path to) throws IOException, InterruptedException {
        if (run("cp", "-a", from + "/.", to + "/") != 0) throw new IOException("cp -a " + from + " " + to + " failed");
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
