package io.basalt.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * An ext4 file system on a loop device over an image file, whose power can be cut: {@link #cut}
 * copies the image while the writer is stopped and the device idle, so the copy holds every write
 * the kernel had sent to the device and none it had not. Pages a process wrote without fsync are
 * still in the page cache, not in the image, so a file system mounted from the copy replays its
 * journal and shows what a machine would after losing power at that instant (a disk without a
 * volatile cache, or one that honours flushes). No device mapper is needed, which containers lack.
 * Root only; a test is skipped where the loop device cannot be mounted.
 */
final class LoopDisk implements AutoCloseable {
    final Path image;
    final Path mount;
    private final String device;
    private boolean mounted = true;

    private LoopDisk(Path image, Path mount, String device) {
        this.image = image;
        this.mount = mount;
        this.device = device;
    }

    /** Formats a sparse image of {@code bytes} and mounts it at {@code mount}. */
    static LoopDisk format(Path image, long bytes, Path mount) throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no loop devices here");
        try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(bytes);
        }
        Assumptions.assumeTrue(exec("mkfs.ext4", "-q", "-F", image.toString()).ok(), "mkfs.ext4 is not available here");
        return mount(image, mount);
    }

    /**
     * Mounts an image made by {@link #format} or {@link #cut}; a cut one replays its journal as at boot.
     * A long journal commit interval keeps the background commits from writing what nobody synced,
     * and {@code noauto_da_alloc} turns off ext4's flush of a file truncated and rewritten when it is
     * closed: only what the writer synced is on the device (a writer must not count on that flush).
     */
    static LoopDisk mount(Path image, Path mount) throws Exception {
        Files.createDirectories(mount);
        Result r = exec("mount", "-o", "loop,commit=300,noauto_da_alloc", image.toString(), mount.toString());
        Assumptions.assumeTrue(r.ok(), "cannot mount a loop device here: " + r.out());
        Result source = exec("findmnt", "-n", "-o", "SOURCE", mount.toString());
        if (!source.ok()) throw new IOException("findmnt " + mount + ": " + source.out());
        return new LoopDisk(
                image, mount, Path.of(source.out().strip()).getFileName().toString());
    }

    /**
     * Cuts the power under {@code writer}: stops it (SIGSTOP; a call it had in the kernel runs to
     * its end), waits for the device to go idle, copies the image to {@code copy}, then kills the
     * writer (SIGKILL). The copy is retried if anything reached the device while it was taken.
     */
    void cut(Process writer, Path copy) throws Exception {
        signal(writer, "STOP");
        try {
            for (int attempt = 0; ; attempt++) {
                String before = awaitIdle();
                Files.deleteIfExists(copy);
                Result cp = exec("cp", "--sparse=always", image.toString(), copy.toString());
                if (!cp.ok()) throw new IOException("copying the image: " + cp.out());
                if (before.equals(deviceStat())) return;
                if (attempt == 5) throw new IOException("the device kept writing while the image was copied");
            }
        } finally {
            writer.destroyForcibly();
            writer.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The device's counters once nothing is in flight and they held still for 200 ms. */
    private String awaitIdle() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = deviceStat();
        while (System.nanoTime() < deadline) {
            Thread.sleep(200);
            String now = deviceStat();
            String inflight = Files.readString(sysfs("inflight")).strip();
            if (now.equals(last) && inflight.matches("0\\s+0")) return now;
            last = now;
        }
        throw new IOException(device + " did not go idle");
    }

    private String deviceStat() throws IOException {
        return Files.readString(sysfs("stat")).strip();
    }

    private Path sysfs(String name) {
        return Path.of("/sys/block", device, name);
    }

    private static void signal(Process p, String signal) throws Exception {
        Result r = exec("kill", "-" + signal, Long.toString(p.pid()));
        if (!r.ok()) throw new IOException("kill -" + signal + " " + p.pid() + ": " + r.out());
    }

    /** Unmounts (writing back what the page cache held, into an image the test no longer uses). */
    @Override
    public void close() throws Exception {
        if (!mounted) return;
        mounted = false;
        Result r = exec("umount", mount.toString());
        for (int attempt = 0; !r.ok() && attempt < 50; attempt++) { // a node just closed may hold it a moment
            Thread.sleep(200);
            r = exec("umount", mount.toString());
        }
        if (!r.ok()) {
            exec("umount", "-l", mount.toString()); // detached now, released when its last user goes
            throw new IOException("umount " + mount + ": " + r.out());
        }
    }

    record Result(boolean ok, String out) {}

    static Result exec(String... command) throws Exception {
        Process p =
                new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        if (!done) p.destroyForcibly();
        return new Result(done && p.exitValue() == 0, out);
    }
}
