package io.basalt.core.erasure;

import java.util.Arrays;

/**
 * A small dense matrix over GF(2^8), used only to derive the (at most 256 x 256) coding and decoding
 * coefficients, never on the per-byte path. Instances are immutable once built by the factory
 * methods and operations here (every operation returns a new matrix), so they can be shared across
 * threads; {@link #set} exists for construction and tests only.
 */
final class Matrix {

    private final int rows;
    private final int cols;
    private final byte[][] data;

    /** A rows x cols zero matrix. */
    public Matrix(int rows, int cols) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("matrix dimensions must be positive: " + rows + "x" + cols);
        }
        this.rows = rows;
        this.cols = cols;
        this.data = new byte[rows][cols];
    }

    /** A matrix copied from the given rows (all of equal length); values are taken modulo 256. */
    public static Matrix of(int[][] values) {
        Matrix m = new Matrix(values.length, values.length == 0 ? 0 : values[0].length);
        for (int r = 0; r < m.rows; r++) {
            if (values[r].length != m.cols) {
                throw new IllegalArgumentException("ragged matrix rows");
            }
            for (int c = 0; c < m.cols; c++) {
                m.data[r][c] = (byte) values[r][c];
            }
        }
        return m;
    }

    /** The n x n identity. */
    public static Matrix identity(int n) {
        Matrix m = new Matrix(n, n);
        for (int i = 0; i < n; i++) {
            m.data[i][i] = 1;
        }
        return m;
    }

    /**
     * The rows x cols Vandermonde matrix with entry (r, c) = r^c in GF(2^8), 0^0 = 1. Any {@code cols}
     * of its rows are linearly independent because the evaluation points 0..rows-1 are distinct,
     * which is what makes the derived code MDS. Needs rows <= 256.
     */
    public static Matrix vandermonde(int rows, int cols) {
        if (rows > GaloisField.FIELD_SIZE) {
            throw new IllegalArgumentException("at most 256 distinct evaluation points, got " + rows);
        }
        Matrix m = new Matrix(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                m.data[r][c] = (byte) GaloisField.exp(r, c);
            }
        }
        return m;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Entry (r, c) as 0..255. */
    public int get(int r, int c) {
        return data[r][c] & 0xFF;
    }

    /** Sets entry (r, c); for building matrices, not for instances already shared. */
    public void set(int r, int c, int value) {
        data[r][c] = (byte) value;
    }

    /** A copy of row r. */
    public byte[] row(int r) {
        return data[r].clone();
    }

    /** this * right. */
    public Matrix times(Matrix right) {
        if (cols != right.rows) {
            throw new IllegalArgumentException(
                    "cannot multiply " + rows + "x" + cols + " by " + right.rows + "x" + right.cols);
        }
        Matrix out = new Matrix(rows, right.cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < right.cols; c++) {
                int acc = 0;
                for (int i = 0; i < cols; i++) {
                    acc ^= GaloisField.multiply(data[r][i], right.data[i][c]);
                }
                out.data[r][c] = (byte) acc;
            }
        }
        return out;
    }

    /** Rows [rmin, rmax) and columns [cmin, cmax). */
    public Matrix submatrix(int rmin, int cmin, int rmax, int cmax) {
        if (rmin < 0 || cmin < 0 || rmax > rows || cmax > cols || rmin >= rmax || cmin >= cmax) {
            throw new IllegalArgumentException(
                    "bad submatrix [" + rmin + "," + rmax + ")x[" + cmin + "," + cmax + ") of " + rows + "x" + cols);
        }
        Matrix out = new Matrix(rmax - rmin, cmax - cmin);
        for (int r = rmin; r < rmax; r++) {
            System.arraycopy(data[r], cmin, out.data[r - rmin], 0, cmax - cmin);
        }
        return out;
    }

    /** The matrix made of the given rows of this one, in the given order. */
    public Matrix selectRows(int[] rowIndexes) {
        Matrix out = new Matrix(rowIndexes.length, cols);
        for (int i = 0; i < rowIndexes.length; i++) {
            System.arraycopy(data[rowIndexes[i]], 0, out.data[i], 0, cols);
        }
        return out;
    }

    /**
     * The inverse, by Gauss-Jordan elimination on [this | I].
     *
     * @throws IllegalArgumentException if the matrix is not square or is singular
     */
    public Matrix invert() {
        if (rows != cols) {
            throw new IllegalArgumentException("only square matrices can be inverted: " + rows + "x" + cols);
        }
        int n = rows;
        byte[][] a = new byte[n][];
        byte[][] inv = identity(n).data;
        for (int r = 0; r < n; r++) {
            a[r] = data[r].clone();
        }
        for (int col = 0; col < n; col++) {
            // Find a pivot row; in characteristic 2 any non-zero pivot is exact, no partial pivoting needed.
            int pivot = col;
            while (pivot < n && a[pivot][col] == 0) {
                pivot++;
            }
            if (pivot == n) {
                throw new IllegalArgumentException("matrix is singular");
            }
            swap(a, col, pivot);
            swap(inv, col, pivot);
            // Scale the pivot row so the pivot becomes 1.
            int scale = GaloisField.inverse(a[col][col]);
            if (scale != 1) {
                scaleRow(a[col], scale);
                scaleRow(inv[col], scale);
            }
            // Eliminate this column from every other row (above and below: Gauss-Jordan).
            for (int r = 0; r < n; r++) {
                int factor = a[r][col] & 0xFF;
                if (r != col && factor != 0) {
                    addScaledRow(a[r], a[col], factor);
                    addScaledRow(inv[r], inv[col], factor);
                }
            }
        }
        Matrix out = new Matrix(n, n);
        for (int r = 0; r < n; r++) {
            out.data[r] = inv[r];
        }
        return out;
    }

    private static void swap(byte[][] m, int i, int j) {
        byte[] t = m[i];
        m[i] = m[j];
        m[j] = t;
    }

    private static void scaleRow(byte[] row, int scale) {
        byte[] mul = GaloisField.mulRow(scale);
        for (int i = 0; i < row.length; i++) {
            row[i] = mul[row[i] & 0xFF];
        }
    }

    /** target += factor * source. */
    private static void addScaledRow(byte[] target, byte[] source, int factor) {
        byte[] mul = GaloisField.mulRow(factor);
        for (int i = 0; i < target.length; i++) {
            target[i] ^= mul[source[i] & 0xFF];
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Matrix other
                && rows == other.rows
                && cols == other.cols
                && Arrays.deepEquals(data, other.data);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(data);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < rows; r++) {
            sb.append(r == 0 ? "[" : " ");
            for (int c = 0; c < cols; c++) {
                sb.append(c == 0 ? "[" : ", ").append(get(r, c));
            }
            sb.append(r == rows - 1 ? "]]" : "]\n");
        }
        return sb.toString();
    }
}
