package io.basalt.core.erasure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MatrixTest {

    private static Matrix random(Random r, int n) {
        Matrix m = new Matrix(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m.set(i, j, r.nextInt(256));
            }
        }
        return m;
    }

    @Test
    void randomInvertibleMatrixTimesInverseIsIdentity() {
        Random r = new Random(42);
        int inverted = 0;
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(20);
            Matrix m = random(r, n);
            Matrix inv;
            try {
                inv = m.invert();
            } catch (IllegalArgumentException singular) {
                continue; // random matrices over GF(256) are almost always invertible; skip the rare one
            }
            inverted++;
            assertEquals(Matrix.identity(n), m.times(inv), "M * M^-1 for\n" + m);
            assertEquals(Matrix.identity(n), inv.times(m), "M^-1 * M for\n" + m);
        }
        assertEquals(true, inverted > 250, "too few invertible samples: " + inverted);
    }

    @Test
    void singularMatricesAreRejected() {
        Matrix duplicateRows = Matrix.of(new int[][] {{1, 2, 3}, {4, 5, 6}, {1, 2, 3}});
        assertThrows(IllegalArgumentException.class, duplicateRows::invert);
        // Row 2 = row 0 + 3 * row 1 in GF(256): dependent though not equal.
        Matrix dependent = new Matrix(3, 3);
        int[][] base = {{7, 9, 200}, {1, 33, 5}};
        for (int c = 0; c < 3; c++) {
            dependent.set(0, c, base[0][c]);
            dependent.set(1, c, base[1][c]);
            dependent.set(2, c, base[0][c] ^ GaloisField.multiply(3, base[1][c]));
        }
        assertThrows(IllegalArgumentException.class, dependent::invert);
        assertThrows(IllegalArgumentException.class, () -> new Matrix(2, 3).invert());
        assertThrows(IllegalArgumentException.class, () -> new Matrix(2, 2).invert());
    }

    @Test
    void vandermondeAndSubmatrix() {
        Matrix v = Matrix.vandermonde(5, 3);
        assertEquals(Matrix.of(new int[][] {{1, 0, 0}, {1, 1, 1}, {1, 2, 4}, {1, 3, 5}, {1, 4, 16}}), v);
        assertEquals(Matrix.of(new int[][] {{2, 4}, {3, 5}}), v.submatrix(2, 1, 4, 3));
        assertEquals(v, Matrix.identity(5).times(v));
        assertThrows(IllegalArgumentException.class, () -> v.times(v));
    }
}
