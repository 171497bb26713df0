package io.basalt.core.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The pacing arithmetic on a fake clock: no sleeping, no timing assertions. */
class ByteRateLimiterTest {

    @Test
    void booksBytesAgainstTheRate() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        ByteRateLimiter limiter = new ByteRateLimiter(1000, now::get);
        assertEquals(100_000_000L, limiter.reserve(100));
        assertEquals(200_000_000L, limiter.reserve(100), "back-to-back work queues up");
    }

    @Test
    void creditsOnlyABoundedIdlePeriod() {
        AtomicLong now = new AtomicLong(0);
        ByteRateLimiter limiter = new ByteRateLimiter(1000, now::get);
        now.addAndGet(10_000_000_000L); // idle for 10 s
        assertEquals(0, limiter.reserve(100));
        assertEquals(0, limiter.reserve(100));
        assertEquals(100_000_000L, limiter.reserve(100), "only 200 ms of idle time is credited");
    }

    @Test
    void zeroRateIsUnlimitedAndRateChangesApply() {
        AtomicLong now = new AtomicLong(0);
        ByteRateLimiter limiter = new ByteRateLimiter(0, now::get);
        assertEquals(0, limiter.reserve(1L << 40));
        limiter.setBytesPerSecond(ByteRateLimiter.mbPerSecond(1));
        assertEquals(1_000_000_000L, limiter.reserve(1 << 20));
    }
}
