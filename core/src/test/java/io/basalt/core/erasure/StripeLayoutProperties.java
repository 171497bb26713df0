package io.basalt.core.erasure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class StripeLayoutProperties {

    @Property(tries = 500)
    void stripesTileTheSegmentAndShardsHoldThem(
            @ForAll @IntRange(min = 1, max = 16) int k,
            @ForAll @IntRange(min = 1, max = 4) int m,
            @ForAll @IntRange(min = 16, max = 1 << 20) int block,
            @ForAll @LongRange(min = 0, max = 1L << 34) long size) {
        if (block < k) return;
        StripeLayout l = new StripeLayout(k, m, block, size);
        long stripes = l.stripeCount();
        long covered = 0, shardBytes = 0;
        // Sum over the first, last and a middle stripe, and every stripe for small segments.
        for (long s = 0; s < stripes; s = (stripes < 64 || s + 1 == stripes) ? s + 1 : Math.max(s + 1, stripes - 1)) {
            assertEquals(shardBytes == 0 && s > 0 ? l.shardOffset(s) : l.shardOffset(s), s * (long) l.chunkSize());
            assertTrue((long) l.chunkLength(s) * k >= l.stripeLength(s), "k chunks hold the stripe");
            assertTrue(l.chunkLength(s) <= l.chunkSize());
            if (stripes < 64) {
                covered += l.stripeLength(s);
                shardBytes += l.chunkLength(s);
            }
        }
        if (stripes < 64) {
            assertEquals(size, covered);
            assertEquals(l.shardLength(), shardBytes);
        }
        if (size > 0) assertEquals(stripes - 1, l.stripeOfOffset(size - 1));
    }
}
