package io.basalt.core.shard;

/**
 * CRC32C of a concatenation from the CRCs of its parts (zlib's crc32_combine, for the Castagnoli
 * polynomial), so the whole-shard CRC costs a few shifts per chunk instead of a second pass over
 * its bytes. {@code combine(crc(A), crc(B), |B|) == crc(A || B)}. Nodes combine what they store, a
 * writer what it sent, and the two agree.
 */
public final class Crc32cCombine {
    private static final int POLY = 0x82F63B78; // reflected Castagnoli polynomial
    /** X2N[k] = x^(2^k) mod p(x). */
    private static final int[] X2N = new int[32];

    static {
        int p = 1 << 30; // x^1
        X2N[0] = p;
        for (int k = 1; k < 32; k++) X2N[k] = p = multModP(p, p);
    }

    private Crc32cCombine() {}

    /** The operator that appends {@code length} bytes; reusable for every part of that length. */
    public static int operator(long length) {
        int p = 1 << 31; // x^0
        long n = length;
        int k = 3; // 2^3 bits per byte
        while (n != 0) {
            if ((n & 1) != 0) p = multModP(X2N[k & 31], p);
            n >>>= 1;
            k++;
        }
        return p;
    }

    /** crc(A || B) from crc(A), crc(B) and {@link #operator(long)} of |B|. */
    public static int combine(int crcA, int crcB, int operatorOfLengthB) {
        return multModP(operatorOfLengthB, crcA) ^ crcB;
    }

    public static int combine(int crcA, int crcB, long lengthB) {
        return combine(crcA, crcB, operator(lengthB));
    }

    /** a * b mod p(x), bit-reflected. */
    private static int multModP(int a, int b) {
        if (a == 0) return 0;
        int m = 1 << 31;
        int p = 0;
        while (true) {
            if ((a & m) != 0) {
                p ^= b;
                if ((a & (m - 1)) == 0) break;
            }
            m >>>= 1;
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
        return p;
    }
}
