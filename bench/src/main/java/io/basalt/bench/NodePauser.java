package io.basalt.bench;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Pauses one storage node with SIGSTOP and resumes it with SIGCONT, as a long GC pause or a hung
 * machine would stall it while its connections stay open. It signals only a storage node under the
 * launcher the bench itself started, checked again before every signal (a PID may be reused), and
 * resumes the node on close and at JVM exit, so a stopped bench never leaves a node stopped.
 */
final class NodePauser implements AutoCloseable {
    final String nodeId;
    final long pid;
    private final ProcessHandle launcher;
    private final Thread resumeAtExit;
    private volatile boolean paused;

    NodePauser(ProcessHandle launcher, long pid) {
        this.launcher = launcher;
        this.pid = pid;
        this.nodeId = checked().id();
        this.resumeAtExit = new Thread(this::resumeQuietly, "faults-resume-" + pid);
        Runtime.getRuntime().addShutdownHook(resumeAtExit);
    }

    void pause() {
        checked();
        paused = true;
        signal("STOP");
    }

    void resume() {
        signal("CONT");
        paused = false;
    }

    private StorageNodeCommand checked() {
        return StorageNodeCommand.ofOwnNode(launcher, pid, "signalling");
    }

    private void signal(String sig) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + sig, String.valueOf(pid))
                    .redirectErrorStream(true)
                    .start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0)
                throw new IllegalStateException("kill -" + sig + " " + pid + " failed: "
                        + new String(kill.getInputStream().readAllBytes()).trim());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIG" + sig + " to " + pid, e);
        }
    }

    private void resumeQuietly() {
        if (!paused) return;
        try {
            resume();
        } catch (RuntimeException e) {
            Progress.message("faults: could not SIGCONT " + nodeId + " (pid " + pid + "): " + e);
        }
    }

    @Override
    public void close() {
        resumeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(resumeAtExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }
}
