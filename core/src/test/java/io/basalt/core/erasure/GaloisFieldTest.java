package io.basalt.core.erasure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class GaloisFieldTest {

    /** Carry-less multiply reduced by 0x11D: the definition, independent of the tables. */
    private static int reference(int a, int b) {
        int product = 0;
        for (int i = 0; i < 8; i++) {
            if ((b & (1 << i)) != 0) {
                product ^= a << i;
            }
        }
        for (int bit = 14; bit >= 8; bit--) {
            if ((product & (1 << bit)) != 0) {
                product ^= GaloisField.POLYNOMIAL << (bit - 8);
            }
        }
        return product;
    }

    @Test
    void multiplicationTableMatchesDefinition() {
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                assertEquals(reference(a, b), GaloisField.multiply(a, b), a + "*" + b);
            }
        }
        assertEquals(0x1D, GaloisField.multiply(2, 0x80));
    }

    @Test
    void multiplicativeIdentitiesAndInverses() {
        for (int a = 0; a < 256; a++) {
            assertEquals(a, GaloisField.multiply(a, 1));
            assertEquals(0, GaloisField.multiply(a, 0));
            if (a != 0) {
                int inv = GaloisField.inverse(a);
                assertEquals(1, GaloisField.multiply(a, inv), "a * a^-1 for a=" + a);
                assertEquals(a, GaloisField.inverse(inv));
                for (int b = 0; b < 256; b++) {
                    assertEquals(b, GaloisField.multiply(GaloisField.divide(b, a), a), b + "/" + a + "*" + a);
                }
            }
        }
        assertThrows(ArithmeticException.class, () -> GaloisField.inverse(0));
    }

    @Test
    void distributesOverAddition() {
        for (int a = 0; a < 256; a += 3) {
            for (int b = 0; b < 256; b++) {
                for (int c = 0; c < 256; c += 5) {
                    assertEquals(
                            GaloisField.multiply(a, b) ^ GaloisField.multiply(a, c),
                            GaloisField.multiply(a, GaloisField.add(b, c)));
                }
            }
        }
    }

    @Test
    void generatorEnumeratesAllNonZeroElementsAndExpMatchesRepeatedMultiply() {
        boolean[] seen = new boolean[256];
        for (int n = 0; n < 255; n++) {
            int x = GaloisField.generatorPower(n);
            assertEquals(n, GaloisField.log(x));
            seen[x] = true;
        }
        for (int x = 1; x < 256; x++) {
            assertEquals(true, seen[x], "element " + x + " not a power of 2");
        }
        for (int a = 0; a < 256; a++) {
            int power = 1;
            for (int n = 0; n < 300; n++) {
                assertEquals(power, GaloisField.exp(a, n), a + "^" + n);
                power = GaloisField.multiply(power, a);
            }
        }
        assertEquals(1, GaloisField.exp(0, 0));
    }
}
