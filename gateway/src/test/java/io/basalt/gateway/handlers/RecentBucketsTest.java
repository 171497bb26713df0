package io.basalt.gateway.handlers;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentBucketsTest {

    @Test
    void aBucketIsRememberedForTheTtlOnlyAndUntilForgotten() {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        RecentBuckets recent = new RecentBuckets(now::get);
        assertFalse(recent.seen("b"));
        recent.saw("b");
        assertTrue(recent.seen("b"));
        assertFalse(recent.seen("other"));
        now.addAndGet(RecentBuckets.TTL_NANOS - 1);
        assertTrue(recent.seen("b"));
        now.addAndGet(1);
        assertFalse(recent.seen("b"), "expired");
        recent.saw("b");
        assertTrue(recent.seen("b"));
        recent.forget("b");
        assertFalse(recent.seen("b"));
    }
}
