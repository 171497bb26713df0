package io.basalt.core.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class AdaptiveDelayTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void theGraceIsThreeTimesTheNinetyNinthPercentileOfRecentLags() {
        AdaptiveDelay grace = AdaptiveDelay.ackGrace();
        assertEquals(100 * MS, grace.nanos(), "before anything was measured");
        // 127 lags of 10 ms and one of 200 ms: the 99th percentile is 10 ms, the outlier is ignored
        for (int i = 0; i < 127; i++) grace.record(10 * MS);
        grace.record(200 * MS);
        assertEquals(30 * MS, grace.nanos());
        // the window forgets: lags of 100 ms for a full window make the grace 300 ms
        for (int i = 0; i < 128; i++) grace.record(100 * MS);
        assertEquals(300 * MS, grace.nanos());
    }

    @Test
    void theHedgeIsTheNinetyFifthPercentileOfFirstAnswers() {
        AdaptiveDelay hedge = AdaptiveDelay.hedge();
        for (int i = 1; i <= 128; i++) hedge.record(i * MS / 4); // 0.25 .. 32 ms
        assertEquals(122 * MS / 4, hedge.nanos()); // ceil(128 × 0.95) = 122nd smallest
    }

    @Property
    void theDelayStaysWithinItsBounds(
            @ForAll @Size(min = 16, max = 400) List<@LongRange(min = 0, max = Long.MAX_VALUE) Long> samples) {
        AdaptiveDelay grace = AdaptiveDelay.ackGrace();
        AdaptiveDelay hedge = AdaptiveDelay.hedge();
        for (long s : samples) {
            grace.record(s);
            hedge.record(s);
        }
        assertInRange(grace.nanos(), 20 * MS, 1_000 * MS);
        assertInRange(hedge.nanos(), MS, 50 * MS);
        AdaptiveDelay stripe = AdaptiveDelay.stripeHedge();
        for (long s : samples) stripe.record(s);
        assertInRange(stripe.nanos(), 10 * MS, 1_000 * MS);
    }

    @Test
    void waitsCountedAtTheDelayMakeItGrowUntilFewReachIt() {
        AdaptiveDelay stripe = AdaptiveDelay.stripeHedge();
        assertEquals(100 * MS, stripe.nanos());
        // every wait reaches the delay (a loaded cluster): it grows by half each time it is recomputed
        for (int i = 0; i < 16; i++) stripe.record(stripe.nanos());
        assertEquals(150 * MS, stripe.nanos());
        for (int i = 0; i < 16; i++) stripe.record(stripe.nanos());
        assertEquals(225 * MS, stripe.nanos());
        // then waits settle at 20 ms: a full window of them brings it down to 30 ms
        for (int i = 0; i < 128; i++) stripe.record(20 * MS);
        assertEquals(30 * MS, stripe.nanos());
    }

    @Property
    void aWindowOfEqualSamplesGivesTheirMultipleClamped(@ForAll @LongRange(min = 0, max = 2_000_000_000L) long s) {
        AdaptiveDelay grace = AdaptiveDelay.ackGrace();
        for (int i = 0; i < 128; i++) grace.record(s);
        assertEquals(Math.clamp(3 * s, 20 * MS, 1_000 * MS), grace.nanos());
    }

    private static void assertInRange(long v, long min, long max) {
        if (v < min || v > max) throw new AssertionError(v + " outside [" + min + ", " + max + "]");
    }
}
