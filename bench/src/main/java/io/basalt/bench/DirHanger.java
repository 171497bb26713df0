package io.basalt.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Makes one data dir hang as a dead NFS server or a stuck NVMe does: every syscall into it blocks in
 * the kernel. It mounts over the dir a FUSE file system whose daemon never answers (storage-node's
 * DiskFailureTest.hang does the same): a bash holder opens /dev/fuse, mounts with that descriptor and
 * never reads it. Closing the holder's stdin un-hangs the dir: the holder unmounts it lazily and
 * exits, and closing its descriptor aborts the FUSE connection, so every blocked call returns
 * (ENOTCONN) and the files under the mount are visible again, untouched. The bench closes it at the
 * end of the phase and from a shutdown hook; should the bench be killed outright, its end of the
 * pipe closes and the holder unmounts all the same ({@code read} sees end of file), and a holder
 * nobody talks to unmounts after the backstop anyway.
 */
final class DirHanger implements AutoCloseable {
    /** Mounting is not permitted here (no /dev/fuse, not root, a container without CAP_SYS_ADMIN). */
    static final class NotPermitted extends Exception {
        NotPermitted(String why) {
            super(why);
        }
    }

    /** The mount's source, as mount and /proc/self/mountinfo show it. */
    static final String SOURCE = "basalt-hung";

    // mount -i: where fuse3 is installed, mount would hand the source to /sbin/mount.fuse, which runs it as the
    // file system's program ("basalt-hung: not found") instead of mounting the descriptor
    private static final String HOLDER = "exec 3<>/dev/fuse || exit 1; "
            + "mount -i -t fuse -o fd=3,rootmode=40000,user_id=0,group_id=0 " + SOURCE + " \"$1\" || exit 1; "
            + "echo mounted; read -t \"$2\" _; umount -l \"$1\"";

    final Path dir;
    private final Process holder;
    private final Thread unhangAtExit;
    private boolean released;

    private DirHanger(Path dir, Process holder) {
        this.dir = dir;
        this.holder = holder;
        this.unhangAtExit = new Thread(this::unhang, "faults-unhang " + dir);
        Runtime.getRuntime().addShutdownHook(unhangAtExit);
    }

    /**
     * The dir of {@code node} to hang, as the node names it: its last, which must lie under one of the
     * bench's own data dirs (never anything else on the machine). A node with one dir has only that
     * one to lose.
     */
    static Path choose(StorageNodeCommand node, List<Path> benchDataDirs) {
        for (Path d : node.dataDirs().reversed()) {
            Path dir = d.toAbsolutePath().normalize();
            if (benchDataDirs.stream()
                    .anyMatch(root -> dir.startsWith(root.toAbsolutePath().normalize()))) return dir;
        }
        throw new IllegalStateException("none of " + node.id() + "'s data dirs " + node.dataDirs()
                + " lies under the bench's own data dirs " + benchDataDirs + "; not hanging any");
    }

    /**
     * Mounts the never-answering file system over {@code dir}; from now on every call into it blocks.
     *
     * @param backstop the holder unmounts by itself after this long, whatever happens to the bench
     */
    static DirHanger hang(Path dir, Duration backstop) throws NotPermitted, IOException, InterruptedException {
        if (!Files.exists(Path.of("/dev/fuse"))) throw new NotPermitted("no /dev/fuse here");
        Path real = dir.toRealPath(); // the last call into the dir that is allowed to answer
        if (!Files.isDirectory(real)) throw new IllegalArgumentException(real + " is not a directory");
        // a mount left there (by someone else) would be stacked on; never touch one we did not make
        if (MountTable.isMountPoint(real)) throw new IllegalStateException(real + " is a mount point already");
        Process p = new ProcessBuilder(
                        "bash", "-c", HOLDER, "basalt-hang", real.toString(), String.valueOf(backstop.toSeconds()))
                .redirectErrorStream(true)
                .start();
        String first = firstLine(p);
        if (!"mounted".equals(first)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new NotPermitted("cannot mount a FUSE file system over " + real + ": " + first);
        }
        return new DirHanger(real, p);
    }

    private static String firstLine(Process p) throws InterruptedException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return e.toString();
            }
        });
        try {
            return line.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return "the holder said nothing within 30 s";
        } catch (ExecutionException e) {
            return e.getCause().toString();
        }
    }

    /** The holder's pid, for messages. */
    long holderPid() {
        return holder.pid();
    }

    /** Un-hangs the dir and checks that the mount is gone; idempotent. */
    private synchronized void unhang() {
        if (released) return;
        released = true;
        try {
            holder.getOutputStream().close(); // the holder's read returns: it unmounts and exits
            if (!holder.waitFor(10, TimeUnit.SECONDS)) {
                Progress.message("faults: the FUSE holder (pid " + holder.pid() + ") did not exit: SIGKILL");
                holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // its fd closes: blocked calls return
            }
        } catch (IOException e) {
            holder.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // a holder killed before its umount leaves a dead mount (calls fail, none hangs): lift it here
        if (SOURCE.equals(MountTable.source(dir))) {
            try {
                Process umount = new ProcessBuilder("umount", "-l", dir.toString())
                        .redirectErrorStream(true)
                        .start();
                umount.waitFor(10, TimeUnit.SECONDS);
            } catch (IOException e) {
                // reported below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (SOURCE.equals(MountTable.source(dir)))
            Progress.message("faults: " + dir + " is still mounted over (" + SOURCE + "); run: umount -l " + dir);
    }

    @Override
    public void close() {
        unhang();
        try {
            Runtime.getRuntime().removeShutdownHook(unhangAtExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway, and finds the dir released
        }
    }
}
