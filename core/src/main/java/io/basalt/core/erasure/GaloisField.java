package io.basalt.core.erasure;

/**
 * Arithmetic in GF(2^8) with field polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and generator 2,
 * the field used by Backblaze's JavaReedSolomon (and most RS storage codecs), so that our parity
 * bytes are interchangeable with theirs.
 *
 * <p>Elements are ints in 0..255. Addition and subtraction are both XOR. All tables are built once in
 * the static initialiser and never mutated afterwards, so the class is trivially thread-safe.
 */
final class GaloisField {

    /** Number of field elements. */
    public static final int FIELD_SIZE = 256;

    /** The field (reduction) polynomial, including the x^8 term. */
    public static final int POLYNOMIAL = 0x11D;

    /** The generator whose powers enumerate all non-zero elements. */
    public static final int GENERATOR = 2;

    /** LOG[a] = n with GENERATOR^n = a, for a != 0. LOG[0] is unused. */
    private static final int[] LOG = new int[FIELD_SIZE];

    /**
     * EXP[n] = GENERATOR^n. Twice the period long so that EXP[LOG[a] + LOG[b]] needs no "mod 255" in
     * {@link #multiply}.
     */
    private static final int[] EXP = new int[2 * (FIELD_SIZE - 1)];

    /**
     * Full product table: MUL[a][b] = a * b. 64 KiB; the codec's inner loop indexes one row of it per
     * (coefficient, input shard) pair, which beats log/exp lookups with their zero checks.
     */
    private static final byte[][] MUL = new byte[FIELD_SIZE][FIELD_SIZE];

    static {
        int x = 1;
        for (int n = 0; n < FIELD_SIZE - 1; n++) {
            EXP[n] = x;
            EXP[n + FIELD_SIZE - 1] = x;
            LOG[x] = n;
            x <<= 1; // multiply by the generator 2 ...
            if (x >= FIELD_SIZE) {
                x ^= POLYNOMIAL; // ... and reduce
            }
        }
        if (x != 1) {
            throw new AssertionError("2 is not a generator of GF(2^8) mod 0x11D");
        }
        for (int a = 0; a < FIELD_SIZE; a++) {
            for (int b = 0; b < FIELD_SIZE; b++) {
                MUL[a][b] = (byte) slowMultiply(a, b);
            }
        }
    }

    private GaloisField() {}

    private static int slowMultiply(int a, int b) {
        if (a == 0 || b == 0) {
            return 0;
        }
        return EXP[LOG[a] + LOG[b]];
    }

    /** a + b (which is also a - b). */
    public static int add(int a, int b) {
        return (a ^ b) & 0xFF;
    }

    /** a * b. */
    public static int multiply(int a, int b) {
        return MUL[a & 0xFF][b & 0xFF] & 0xFF;
    }

    /** a / b; throws ArithmeticException when b == 0. */
    public static int divide(int a, int b) {
        a &= 0xFF;
        b &= 0xFF;
        if (b == 0) {
            throw new ArithmeticException("division by zero in GF(2^8)");
        }
        if (a == 0) {
            return 0;
        }
        return EXP[LOG[a] - LOG[b] + FIELD_SIZE - 1];
    }

    /** Multiplicative inverse of a; throws ArithmeticException when a == 0. */
    public static int inverse(int a) {
        return divide(1, a);
    }

    /** a^n for n >= 0, with 0^0 = 1 (the convention the Vandermonde matrix relies on). */
    public static int exp(int a, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative exponent: " + n);
        }
        a &= 0xFF;
        if (n == 0) {
            return 1;
        }
        if (a == 0) {
            return 0;
        }
        return EXP[(int) ((long) LOG[a] * n % (FIELD_SIZE - 1))];
    }

    /** GENERATOR^n for 0 <= n < 255. */
    public static int generatorPower(int n) {
        return EXP[n];
    }

    /** Discrete log of a non-zero element a. */
    public static int log(int a) {
        a &= 0xFF;
        if (a == 0) {
            throw new ArithmeticException("log(0) is undefined in GF(2^8)");
        }
        return LOG[a];
    }

    /**
     * The shared row MUL[coefficient], i.e. row[b] = coefficient * b. Package-private and never copied
     * because it is on the codec's hot path; callers must not write to it.
     */
    static byte[] mulRow(int coefficient) {
        return MUL[coefficient & 0xFF];
    }
}
