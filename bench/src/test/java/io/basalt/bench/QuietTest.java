package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Measures this test JVM itself through /proc: a busy server process holds the wait to its limit, an idle one not. */
class QuietTest {
    private static final long PID = ProcessHandle.current().pid();

    @Test
    void waitsWhileTheServersAreBusyAndNotOnceTheyAreIdle() throws Exception {
        AtomicBoolean spin = new AtomicBoolean(true);
        Thread busy = Thread.ofPlatform().start(() -> {
            long x = 0;
            while (spin.get()) x += Long.numberOfTrailingZeros(x + System.nanoTime());
        });
        try {
            double waited = Quiet.await(Map.of("server", List.of(PID)), 2_000);
            assertTrue(waited >= 2.0, "a process using a whole core is never idle: waited " + waited);
        } finally {
            spin.set(false);
            busy.join();
        }
        double waited = Quiet.await(Map.of("server", List.of(PID)), 10_000);
        assertTrue(waited < 5, "an idle process: two quiet samples, not the limit; waited " + waited);
        // the bench client's own CPU never counts
        spin.set(true);
        Thread client = Thread.ofPlatform().start(() -> {
            long x = 0;
            while (spin.get()) x += Long.numberOfTrailingZeros(x + System.nanoTime());
        });
        try {
            double ignored = Quiet.await(Map.of("bench client", List.of(PID)), 10_000);
            assertTrue(ignored < 5, "the client is not a server: waited " + ignored);
        } finally {
            spin.set(false);
            client.join();
        }
    }
}
