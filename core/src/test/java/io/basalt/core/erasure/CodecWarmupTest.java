package io.basalt.core.erasure;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CodecWarmupTest {
    @Test
    void everyPassRebuildsTheShardItLost() {
        assertTrue(CodecWarmup.run(40));
    }

    @Test
    void theBackgroundRunEnds() throws InterruptedException {
        Thread t = CodecWarmup.inBackground();
        t.join(60_000);
        assertFalse(t.isAlive(), "a thousand passes over 4 KiB stripes take well under a minute");
    }
}
