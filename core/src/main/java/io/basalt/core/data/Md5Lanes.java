package io.basalt.core.data;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * MD5's compression function run for {@link #LANES} messages at once, one per lane of a 128-bit vector: the
 * "multi-buffer" MD5 of MinIO's md5-simd. One message's MD5 is a chain of 64 dependent steps per block that no
 * core runs much faster than 0.6–0.8 GB/s (the JDK's intrinsic here); four chains side by side cost about the
 * same time per step, so four bodies hash at about 2 GB/s together. Loaded only when the Vector API module is
 * present ({@link LaneMd5#AVAILABLE}).
 */
final class Md5Lanes {

    /** Four lanes: as many bodies as a gateway usually writes at once, on every x86-64 and ARM vector unit. */
    static final VectorSpecies<Integer> SPECIES = IntVector.SPECIES_128;

    static final int LANES = 4;

    private static final int[] SHIFT = {
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14,
        20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6,
        10, 15, 21
    };

    /** RFC 1321's T[i] = floor(2^32 * abs(sin(i + 1))). */
    private static final int[] T = new int[64];

    static {
        for (int i = 0; i < 64; i++) T[i] = (int) (long) Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296.0);
    }

    private Md5Lanes() {}

    /**
     * Compresses one 64-byte block per lane into the lanes' states ({@code a[lane]} .. {@code d[lane]}); word w of
     * lane j's block (little-endian) is {@code words[w * LANES + j]}. A lane with no message runs on whatever its
     * state and words hold, and is ignored.
     */
    static void compress(int[] a, int[] b, int[] c, int[] d, int[] words) {
        IntVector va = IntVector.fromArray(SPECIES, a, 0), vb = IntVector.fromArray(SPECIES, b, 0);
        IntVector vc = IntVector.fromArray(SPECIES, c, 0), vd = IntVector.fromArray(SPECIES, d, 0);
        IntVector a0 = va, b0 = vb, c0 = vc, d0 = vd;
        for (int i = 0; i < 64; i++) {
            IntVector f;
            int g;
            if (i < 16) {
                f = vb.and(vc).or(vb.not().and(vd));
                g = i;
            } else if (i < 32) {
                f = vd.and(vb).or(vd.not().and(vc));
                g = (5 * i + 1) & 15;
            } else if (i < 48) {
                f = vb.lanewise(VectorOperators.XOR, vc).lanewise(VectorOperators.XOR, vd);
                g = (3 * i + 5) & 15;
            } else {
                f = vc.lanewise(VectorOperators.XOR, vb.or(vd.not()));
                g = (7 * i) & 15;
            }
            f = f.add(va).add(T[i]).add(IntVector.fromArray(SPECIES, words, g * LANES));
            va = vd;
            vd = vc;
            vc = vb;
            vb = vb.add(f.lanewise(VectorOperators.ROL, SHIFT[i]));
        }
        va.add(a0).intoArray(a, 0);
        vb.add(b0).intoArray(b, 0);
        vc.add(c0).intoArray(c, 0);
        vd.add(d0).intoArray(d, 0);
    }
}
