package io.basalt.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.erasure.StripeLayout;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * What a ranged read asks each data shard for: one range per shard with nothing in it but the
 * wanted bytes and chunk padding, and exactly the object's bytes when laid out stripe by stripe,
 * checked against shards built by hand.
 */
class DataRangeReaderProperties {

    @Property(tries = 400)
    void eachShardIsAskedForOneRunAndTheRunsAreTheRange(
            @ForAll @IntRange(min = 1, max = 6) int k,
            @ForAll @IntRange(min = 1, max = 300) int block,
            @ForAll @IntRange(min = 1, max = 3000) int size,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int x,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int y) {
        if (block < k) return;
        StripeLayout layout = new StripeLayout(k, 2, block, size);
        byte[] object = new byte[size];
        for (int i = 0; i < size; i++) object[i] = (byte) (i * 131 + i / 251);
        byte[][] shards = shards(layout, object);
        long offset = x % size;
        long to = offset + 1 + y % (size - offset);

        long first = layout.stripeOfOffset(offset), last = layout.stripeOfOffset(to - 1);
        long[] next = new long[k];
        Arrays.fill(next, -1);
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        for (long s = first; s <= last; s++) {
            for (int i = 0; i < k; i++) {
                long[] r = DataRangeReader.shardRange(layout, s, i, offset, to);
                if (r == null) continue;
                assertTrue(r[0] < r[1] && r[1] <= layout.shardLength(), "inside shard " + i);
                if (next[i] >= 0) {
                    // a stream skips at most the zero padding of a chunk
                    assertTrue(r[0] >= next[i] && r[0] - next[i] < k, "shard " + i + " goes on where it left off");
                    for (long p = next[i]; p < r[0]; p++) assertEquals(0, shards[i][(int) p], "padding");
                }
                next[i] = r[1];
                read.write(shards[i], (int) r[0], (int) (r[1] - r[0]));
            }
        }
        assertArrayEquals(
                Arrays.copyOfRange(object, (int) offset, (int) to),
                read.toByteArray(),
                "[" + offset + ", " + to + ") of " + size + " with " + k + " x " + block);
    }

    /** The data shards as the encoder writes them: chunk i of every stripe appended to shard i, zero-padded. */
    private static byte[][] shards(StripeLayout layout, byte[] object) {
        byte[][] shards = new byte[layout.k()][(int) layout.shardLength()];
        for (long s = 0; s < layout.stripeCount(); s++) {
            int chunkLen = layout.chunkLength(s);
            int start = (int) layout.stripeStart(s);
            for (int i = 0; i < layout.k(); i++) {
                int from = start + i * chunkLen;
                int n = Math.max(0, Math.min(chunkLen, start + layout.stripeLength(s) - from));
                if (n > 0) System.arraycopy(object, from, shards[i], (int) layout.shardOffset(s), n);
            }
        }
        return shards;
    }
}
