package io.basalt.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.basalt.core.erasure.ReedSolomon;
import io.basalt.proto.meta.ErasureLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LayoutsTest {

    static final ErasureLayout FOUR_TWO =
            ErasureLayout.newBuilder().setK(4).setM(2).setBlockSize(1 << 20).build();

    @Test
    void bodiesDeclaredUpToTheThresholdAreCopiesAndUnknownLengthsAreNot() {
        Layouts layouts = new Layouts(FOUR_TWO, 1000);
        ErasureLayout small = layouts.small();
        assertEquals(1, small.getK());
        assertEquals(2, small.getM());
        assertEquals(FOUR_TWO.getBlockSize(), small.getBlockSize());
        assertEquals(small, layouts.forSize(0));
        assertEquals(small, layouts.forSize(1000));
        assertEquals(FOUR_TWO, layouts.forSize(1001));
        assertEquals(FOUR_TWO, layouts.forSize(-1), "unknown length");
        assertEquals(FOUR_TWO, new Layouts(FOUR_TWO, 0).forSize(0), "0 turns copies off");
    }

    /** What CopyReader relies on: with one data shard every parity shard is that shard, byte for byte. */
    @Test
    void oneDataShardEncodesToCopies() {
        for (int m = 1; m <= 4; m++) {
            byte[][] shards = new byte[1 + m][5000];
            new Random(m).nextBytes(shards[0]);
            ReedSolomon.create(1, m).encode(shards, 0, 5000);
            for (int p = 1; p <= m; p++) assertArrayEquals(shards[0], shards[p], "parity " + p + " of 1+" + m);
        }
    }
}
