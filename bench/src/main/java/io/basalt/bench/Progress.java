package io.basalt.bench;

import java.util.concurrent.atomic.AtomicLong;

/** A progress bar on stderr: redrawn in place on a terminal, one line per phase otherwise. */
final class Progress {
    static volatile boolean tty = false;
    private static volatile String label = "";
    private static volatile long total = 1;
    private static volatile long startNanos = System.nanoTime();
    static final AtomicLong done = new AtomicLong();
    static final AtomicLong bytes = new AtomicLong();
    private static Thread painter;

    static synchronized void start() {
        if (painter != null) return;
        painter = Thread.ofPlatform().daemon().name("progress").start(() -> {
            while (true) {
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
                if (tty) paint(false);
            }
        });
    }

    static void phase(String what, long totalOps) {
        label = what;
        total = Math.max(1, totalOps);
        done.set(0);
        bytes.set(0);
        startNanos = System.nanoTime();
    }

    static void endPhase() {
        paint(true);
    }

    static void message(String line) {
        if (tty) System.err.print("\r\033[K");
        System.err.println(line);
    }

    private static synchronized void paint(boolean end) {
        long d = done.get();
        double secs = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
        int width = 30;
        int filled = (int) Math.min(width, width * d / total);
        String bar = "#".repeat(filled) + ".".repeat(width - filled);
        String line = String.format(
                "%-34s [%s] %d/%d %7.1f MB/s %7.0f op/s %5.1fs",
                label, bar, d, total, bytes.get() / 1e6 / secs, d / secs, secs);
        if (tty) {
            System.err.print("\r\033[K" + line + (end ? "\n" : ""));
        } else if (end) {
            System.err.println(line);
        }
        System.err.flush();
    }
}
