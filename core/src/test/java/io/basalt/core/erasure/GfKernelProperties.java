package io.basalt.core.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The vector kernel against the scalar one, byte for byte, and which of them this JVM runs. */
class GfKernelProperties {

    private static final GfKernel VECTOR = GfKernel.Selection.vectorIfUsable();

    /** Surefire starts the test JVM with jdk.incubator.vector (parent pom), as every service's JVM is. */
    @Example
    void vectorKernelIsActiveWhenTheModuleIsPresent() {
        assertTrue(
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "the test JVM lacks --add-modules jdk.incubator.vector");
        assertNotNull(VECTOR, "vector kernel unusable on this machine");
        assertEquals("vector", GfKernel.ACTIVE.name());
        assertEquals("vector", ReedSolomon.kernelName());
        assertEquals("vector", ReedSolomon.create(4, 2).kernel().name());
        assertEquals("scalar", ScalarKernel.INSTANCE.name());
    }

    record Case(int k, int m, int size, int offset, int tail, long seed, Set<Integer> lost) {}

    @Provide
    Arbitrary<Case> cases() {
        return Arbitraries.integers()
                .between(1, 17)
                .flatMap(k -> Arbitraries.integers()
                        .between(1, 4)
                        .flatMap(m -> Combinators.combine(
                                        Arbitraries.integers().between(0, 3000),
                                        Arbitraries.integers().between(0, 67),
                                        Arbitraries.integers().between(0, 67),
                                        Arbitraries.longs(),
                                        Arbitraries.integers()
                                                .between(0, k + m - 1)
                                                .set()
                                                .ofMaxSize(m))
                                .as((size, offset, tail, seed, lost) ->
                                        new Case(k, m, size, offset, tail, seed, lost))));
    }

    private static byte[][] random(Case c) {
        Random r = new Random(c.seed());
        byte[][] shards = new byte[c.k() + c.m()][c.offset() + c.size() + c.tail()];
        for (byte[] s : shards) {
            r.nextBytes(s); // parity too, so a write outside the range would show
        }
        return shards;
    }

    private static byte[][] copy(byte[][] shards) {
        byte[][] c = new byte[shards.length][];
        for (int i = 0; i < shards.length; i++) {
            c[i] = shards[i].clone();
        }
        return c;
    }

    @Property(tries = 300)
    void encodeMatchesScalar(@ForAll("cases") Case c) {
        ReedSolomon scalar = ReedSolomon.create(c.k(), c.m(), ScalarKernel.INSTANCE);
        ReedSolomon vector = ReedSolomon.create(c.k(), c.m(), VECTOR);
        byte[][] expected = random(c);
        byte[][] actual = copy(expected);
        scalar.encode(expected, c.offset(), c.size());
        vector.encode(actual, c.offset(), c.size());
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], "shard " + i + " of " + c);
        }
        assertTrue(vector.verify(actual, c.offset(), c.size()));
    }

    @Property(tries = 300)
    void reconstructMatchesScalar(@ForAll("cases") Case c) {
        ReedSolomon scalar = ReedSolomon.create(c.k(), c.m(), ScalarKernel.INSTANCE);
        ReedSolomon vector = ReedSolomon.create(c.k(), c.m(), VECTOR);
        byte[][] shards = random(c);
        scalar.encode(shards, c.offset(), c.size());
        boolean[] present = new boolean[c.k() + c.m()];
        Random garbage = new Random(~c.seed());
        for (int i = 0; i < present.length; i++) {
            present[i] = !c.lost().contains(i);
            if (!present[i]) {
                for (int b = c.offset(); b < c.offset() + c.size(); b++) {
                    shards[i][b] = (byte) garbage.nextInt();
                }
            }
        }
        byte[][] expected = copy(shards);
        byte[][] actual = copy(shards);
        scalar.reconstruct(expected, present, c.offset(), c.size());
        vector.reconstruct(actual, present, c.offset(), c.size());
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], "shard " + i + " of " + c);
        }
        byte[][] dataOnly = copy(shards);
        vector.reconstructData(dataOnly, present, c.offset(), c.size());
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(i < c.k() ? expected[i] : shards[i], dataOnly[i], "shard " + i + " of " + c);
        }
    }

    /** The same once C2 has compiled the vector loops (the properties' small stripes may run interpreted). */
    @Example
    void compiledVectorLoopsMatchScalar() {
        int k = 5;
        int m = 3;
        int offset = 3;
        int size = 200_001;
        ReedSolomon scalar = ReedSolomon.create(k, m, ScalarKernel.INSTANCE);
        ReedSolomon vector = ReedSolomon.create(k, m, VECTOR);
        byte[][] shards = random(new Case(k, m, size, offset, 5, 11, Set.of()));
        byte[][] actual = copy(shards);
        boolean[] present = {true, false, true, false, true, true, true, false};
        for (int i = 0; i < 200; i++) {
            vector.encode(actual, offset, size);
            vector.reconstruct(actual, present, offset, size);
        }
        scalar.encode(shards, offset, size);
        for (int i = 0; i < shards.length; i++) {
            assertArrayEquals(shards[i], actual[i], "shard " + i);
        }
    }

    /** Every coefficient (all 256 of them) times every byte value, through the nibble tables. */
    @Example
    void everyProductMatchesTheTable() {
        byte[][] rows = new byte[256][1];
        for (int c = 0; c < 256; c++) {
            rows[c][0] = (byte) c;
        }
        byte[] in = new byte[256 * 5 + 3];
        for (int b = 0; b < in.length; b++) {
            in[b] = (byte) b;
        }
        byte[][] expected = new byte[256][in.length];
        byte[][] actual = new byte[256][in.length];
        ScalarKernel.INSTANCE.coder(rows).code(new byte[][] {in}, 0, expected, 0, in.length);
        VECTOR.coder(rows).code(new byte[][] {in}, 0, actual, 0, in.length);
        for (int c = 0; c < 256; c++) {
            for (int b = 0; b < in.length; b++) {
                assertEquals(GaloisField.multiply(c, in[b]), expected[c][b] & 0xFF);
            }
            assertArrayEquals(expected[c], actual[c], "coefficient " + c);
        }
    }
}
