package io.basalt.core.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.arbitraries.SetArbitrary;
import net.jqwik.api.constraints.IntRange;

class ReedSolomonProperties {

    /**
     * One stripe: k+m shards of {@code size} bytes coded at {@code offset} inside buffers with
     * {@code tail} extra bytes after the range, random content from {@code seed}.
     */
    record Stripe(int k, int m, int size, int offset, int tail, long seed, Set<Integer> lost) {

        byte[][] encoded(ReedSolomon rs) {
            Random random = new Random(seed);
            byte[][] shards = new byte[k + m][offset + size + tail];
            for (byte[] shard : shards) {
                random.nextBytes(shard); // parity too, so writes outside the range would show
            }
            rs.encode(shards, offset, size);
            return shards;
        }
    }

    private static Arbitrary<Stripe> stripes(boolean recoverable) {
        return Arbitraries.integers()
                .between(1, 19)
                .flatMap(k -> Arbitraries.integers().between(1, 20 - k).flatMap(m -> {
                    SetArbitrary<Integer> indexes =
                            Arbitraries.integers().between(0, k + m - 1).set();
                    Arbitrary<Set<Integer>> lost = recoverable
                            ? indexes.ofMaxSize(m)
                            : indexes.ofMinSize(m + 1).ofMaxSize(k + m);
                    return Combinators.combine(
                                    Arbitraries.integers().between(1, 3000),
                                    Arbitraries.integers().between(0, 100),
                                    Arbitraries.integers().between(0, 100),
                                    Arbitraries.longs(),
                                    lost)
                            .as((size, offset, tail, seed, l) -> new Stripe(k, m, size, offset, tail, seed, l));
                }));
    }

    @Provide
    Arbitrary<Stripe> recoverable() {
        return stripes(true);
    }

    @Provide
    Arbitrary<Stripe> unrecoverable() {
        return stripes(false);
    }

    @Property(tries = 200)
    void reconstructRestoresUpToMLostShards(@ForAll("recoverable") Stripe s) {
        ReedSolomon rs = ReedSolomon.create(s.k(), s.m());
        byte[][] shards = s.encoded(rs);
        assertTrue(rs.verify(shards, s.offset(), s.size()));
        byte[][] expected = deepCopy(shards);

        boolean[] present = lose(shards, s);
        rs.reconstruct(shards, present, s.offset(), s.size());
        for (int i = 0; i < shards.length; i++) {
            assertArrayEquals(expected[i], shards[i], "shard " + i + " of " + s);
        }
    }

    @Property(tries = 200)
    void reconstructDataRestoresDataAndLeavesParityAlone(@ForAll("recoverable") Stripe s) {
        ReedSolomon rs = ReedSolomon.create(s.k(), s.m());
        byte[][] shards = s.encoded(rs);
        byte[][] expected = deepCopy(shards);

        boolean[] present = lose(shards, s);
        byte[][] garbled = deepCopy(shards);
        rs.reconstructData(shards, present, s.offset(), s.size());
        for (int i = 0; i < shards.length; i++) {
            byte[] want = i < s.k() ? expected[i] : garbled[i];
            assertArrayEquals(want, shards[i], "shard " + i + " of " + s);
        }
    }

    @Property(tries = 200)
    void reconstructRejectsMoreThanMLostShards(@ForAll("unrecoverable") Stripe s) {
        ReedSolomon rs = ReedSolomon.create(s.k(), s.m());
        byte[][] shards = s.encoded(rs);
        boolean[] present = new boolean[s.k() + s.m()];
        for (int i = 0; i < present.length; i++) {
            present[i] = !s.lost().contains(i);
        }
        NotEnoughShardsException e = assertThrows(
                NotEnoughShardsException.class, () -> rs.reconstruct(shards, present, s.offset(), s.size()));
        assertEquals(s.k(), e.required());
        assertEquals(s.k() + s.m() - s.lost().size(), e.present());
    }

    @Property(tries = 200)
    void verifyDetectsAnySingleFlippedByte(
            @ForAll("recoverable") Stripe s, @ForAll long where, @ForAll @IntRange(min = 1, max = 255) int flip) {
        ReedSolomon rs = ReedSolomon.create(s.k(), s.m());
        byte[][] shards = s.encoded(rs);
        assertTrue(rs.verify(shards, s.offset(), s.size()));
        Random r = new Random(where);
        int shard = r.nextInt(s.k() + s.m());
        int pos = s.offset() + r.nextInt(s.size());
        shards[shard][pos] ^= (byte) flip;
        assertFalse(
                rs.verify(shards, s.offset(), s.size()),
                "flip 0x" + Integer.toHexString(flip) + " at shard " + shard + " byte " + pos);
    }

    /** Overwrites the range of every shard in {@code s.lost()} with garbage; returns which are present. */
    private static boolean[] lose(byte[][] shards, Stripe s) {
        boolean[] present = new boolean[s.k() + s.m()];
        Random garbage = new Random(~s.seed());
        for (int i = 0; i < present.length; i++) {
            present[i] = !s.lost().contains(i);
            if (!present[i]) {
                for (int b = s.offset(); b < s.offset() + s.size(); b++) {
                    shards[i][b] = (byte) garbage.nextInt();
                }
            }
        }
        return present;
    }

    private static byte[][] deepCopy(byte[][] a) {
        byte[][] c = new byte[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }
}
