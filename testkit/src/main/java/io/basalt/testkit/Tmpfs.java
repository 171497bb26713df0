package io.basalt.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Small tmpfs file systems for tests of full disks: mounted, filled and unmounted for real (root only). */
public final class Tmpfs {

    private Tmpfs() {}

    /** Mounts a tmpfs of {@code size} (e.g. "8m") at {@code dir}, creating it; false where mounting is not permitted. */
    public static boolean mount(Path dir, String size) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
                .redirectErrorStream(true)
                .start();
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    /** Unmounts lazily: a file a stopped node mapped (a pack) keeps the file system busy until it is collected. */
    public static void unmount(Path dir) throws IOException, InterruptedException {
        new ProcessBuilder("umount", "-l", dir.toString()).inheritIO().start().waitFor();
    }

    /** Writes {@code file} until its file system has no room left; any other failure is thrown. */
    public static void fill(Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] block = new byte[1 << 16];
            while (true) out.write(block);
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left on device")) throw e;
        }
    }
}
