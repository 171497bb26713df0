package io.basalt.core.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ReedSolomonTest {

    @Test
    void createValidatesShape() {
        assertThrows(IllegalArgumentException.class, () -> ReedSolomon.create(0, 1));
        assertThrows(IllegalArgumentException.class, () -> ReedSolomon.create(1, 0));
        assertThrows(IllegalArgumentException.class, () -> ReedSolomon.create(-3, 2));
        assertThrows(IllegalArgumentException.class, () -> ReedSolomon.create(200, 57));
        ReedSolomon max = ReedSolomon.create(200, 56);
        assertEquals(256, max.totalShards());
        ReedSolomon rs = ReedSolomon.create(4, 2);
        assertEquals(4, rs.dataShards());
        assertEquals(2, rs.parityShards());
        assertEquals(6, rs.totalShards());
    }

    @Test
    void codingMatrixIsSystematicAndEveryKRowSubsetIsInvertible() {
        ReedSolomon rs = ReedSolomon.create(4, 3);
        Matrix coding = rs.codingMatrix();
        assertEquals(Matrix.identity(4), coding.submatrix(0, 0, 4, 4));
        // all C(7,4) = 35 row subsets
        for (int mask = 0; mask < 1 << 7; mask++) {
            if (Integer.bitCount(mask) == 4) {
                int[] rows = new int[4];
                for (int i = 0, n = 0; i < 7; i++) {
                    if ((mask & (1 << i)) != 0) {
                        rows[n++] = i;
                    }
                }
                coding.selectRows(rows).invert(); // throws if singular
            }
        }
    }

    @Test
    void notEnoughShardsMessage() {
        ReedSolomon rs = ReedSolomon.create(4, 2);
        byte[][] shards = new byte[6][8];
        boolean[] present = {true, false, true, false, false, true};
        NotEnoughShardsException e =
                assertThrows(NotEnoughShardsException.class, () -> rs.reconstruct(shards, present, 0, 8));
        assertEquals("need 4 shards to reconstruct, only 3 present", e.getMessage());
    }

    @Test
    void nothingToRebuildIsANoOpAndArgumentsAreChecked() {
        ReedSolomon rs = ReedSolomon.create(3, 2);
        byte[][] shards = new byte[5][10];
        new Random(1).nextBytes(shards[4]); // deliberately wrong parity: must not be "repaired"
        byte[] before = shards[4].clone();
        rs.reconstruct(shards, new boolean[] {true, true, true, true, true}, 0, 10);
        assertArrayEquals(before, shards[4]);
        rs.reconstructData(shards, new boolean[] {true, true, true, true, false}, 0, 10);
        assertArrayEquals(before, shards[4]); // only parity missing: no data to rebuild

        assertThrows(IllegalArgumentException.class, () -> rs.encode(new byte[4][10], 0, 10));
        assertThrows(IllegalArgumentException.class, () -> rs.encode(shards, 5, 6));
        assertThrows(IllegalArgumentException.class, () -> rs.encode(shards, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> rs.reconstruct(shards, new boolean[] {true, false}, 0, 10));
        rs.encode(shards, 0, 0); // empty range is fine
        assertTrue(rs.verify(shards, 3, 0));
    }

    @Test
    void sharedInstanceDecodesConcurrently() throws Exception {
        ReedSolomon rs = ReedSolomon.create(6, 3);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                long seed = t;
                futures.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    for (int iter = 0; iter < 50; iter++) {
                        byte[][] shards = new byte[9][1000];
                        for (int i = 0; i < 6; i++) {
                            r.nextBytes(shards[i]);
                        }
                        rs.encode(shards, 0, 1000);
                        byte[][] expected = new byte[9][];
                        for (int i = 0; i < 9; i++) {
                            expected[i] = shards[i].clone();
                        }
                        boolean[] present = new boolean[9];
                        java.util.Arrays.fill(present, true);
                        for (int lost = 0; lost < 3; lost++) {
                            int i = r.nextInt(9);
                            present[i] = false;
                            java.util.Arrays.fill(shards[i], (byte) 0x5A);
                        }
                        rs.reconstruct(shards, present, 0, 1000);
                        for (int i = 0; i < 9; i++) {
                            assertArrayEquals(expected[i], shards[i]);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
