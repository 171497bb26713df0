package io.basalt.core.erasure;

import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Systematic Reed-Solomon erasure code over GF(2^8) with {@code k} data and {@code m} parity shards,
 * byte-compatible with Backblaze's JavaReedSolomon (same field, same matrix construction).
 *
 * <p>Coding matrix: take the (k+m) x k Vandermonde matrix V with V[r][c] = r^c and multiply it by
 * the inverse of its top k x k square. The result has the identity on top (so data shards are stored
 * verbatim) and keeps the property that any k rows are invertible, so any k surviving shards
 * reconstruct the stripe. Its bottom m rows are the parity coefficients.
 *
 * <p>Like klauspost/reedsolomon's Encoder, the surface is four operations on a byte range of one
 * stripe's k+m shard buffers: {@link #encode}, {@link #verify}, {@link #reconstruct} and {@link
 * #reconstructData}. Streaming shards to and from nodes is core/data's business, not the codec's.
 *
 * <p>Instances are immutable apart from a small synchronized cache of decode matrices, so one
 * instance can be shared by all threads. Shard buffers passed in are of course not protected:
 * callers must not mutate the same stripe concurrently.
 */
public final class ReedSolomon {

    /**
     * Bytes processed per pass over all (output, input) pairs. Working through the stripe in chunks
     * keeps the k input slices and m output slices in L1/L2 while every output row reads them, instead
     * of streaming each whole input shard from memory once per output shard.
     */
    private static final int CHUNK = 8 * 1024;

    /** Upper bound on cached decode matrices (each at most k x k bytes). */
    private static final int DECODE_CACHE_SIZE = 64;

    private final int dataShards;
    private final int parityShards;
    private final int totalShards;
    private final Matrix matrix;
    /** parityRows[p][c]: coefficient of data shard c in parity shard p; never mutated. */
    private final byte[][] parityRows;

    /** Inverted sub-matrices keyed by the set of k rows used; access-ordered for LRU eviction. */
    private final Map<BitSet, byte[][]> decodeCache = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<BitSet, byte[][]> eldest) {
            return size() > DECODE_CACHE_SIZE;
        }
    };

    private ReedSolomon(int dataShards, int parityShards) {
        this.dataShards = dataShards;
        this.parityShards = parityShards;
        this.totalShards = dataShards + parityShards;
        Matrix vandermonde = Matrix.vandermonde(totalShards, dataShards);
        Matrix top = vandermonde.submatrix(0, 0, dataShards, dataShards);
        this.matrix = vandermonde.times(top.invert());
        this.parityRows = new byte[parityShards][];
        for (int p = 0; p < parityShards; p++) {
            parityRows[p] = matrix.row(dataShards + p);
        }
    }

    /**
     * A codec with the given shape.
     *
     * @throws IllegalArgumentException unless dataShards >= 1, parityShards >= 1 and their sum <= 256
     */
    public static ReedSolomon create(int dataShards, int parityShards) {
        if (dataShards < 1) {
            throw new IllegalArgumentException("dataShards must be >= 1, got " + dataShards);
        }
        if (parityShards < 1) {
            throw new IllegalArgumentException("parityShards must be >= 1, got " + parityShards);
        }
        if (dataShards + parityShards > GaloisField.FIELD_SIZE) {
            throw new IllegalArgumentException(
                    "dataShards + parityShards must be <= 256, got " + (dataShards + parityShards));
        }
        return new ReedSolomon(dataShards, parityShards);
    }

    int dataShards() {
        return dataShards;
    }

    int parityShards() {
        return parityShards;
    }

    int totalShards() {
        return totalShards;
    }

    /** The (k+m) x k coding matrix (identity on top); a fresh copy. */
    Matrix codingMatrix() {
        return matrix.submatrix(0, 0, totalShards, dataShards);
    }

    /**
     * Computes the parity shards {@code shards[k..k+m)} over bytes [offset, offset + byteCount) from
     * the data shards {@code shards[0..k)}. Bytes outside the range are left untouched.
     */
    public void encode(byte[][] shards, int offset, int byteCount) {
        checkShards(shards, offset, byteCount);
        byte[][] outputs = new byte[parityShards][];
        System.arraycopy(shards, dataShards, outputs, 0, parityShards);
        code(parityRows, dataInputs(shards), outputs, offset, byteCount);
    }

    /** True iff every parity shard matches the data shards over [offset, offset + byteCount). */
    public boolean verify(byte[][] shards, int offset, int byteCount) {
        checkShards(shards, offset, byteCount);
        byte[][] inputs = dataInputs(shards);
        // Recompute parity chunk by chunk into one small scratch buffer rather than a full shard copy.
        byte[] scratch = new byte[Math.min(byteCount, CHUNK)];
        int end = offset + byteCount;
        for (int start = offset; start < end; start += CHUNK) {
            int len = Math.min(CHUNK, end - start);
            for (int p = 0; p < parityShards; p++) {
                codeRow(parityRows[p], inputs, start, scratch, 0, len);
                if (!Arrays.equals(scratch, 0, len, shards[dataShards + p], start, start + len)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Rebuilds, over bytes [offset, offset + byteCount), every shard i with {@code shardPresent[i] ==
     * false}, data and parity alike. All k+m buffers must be allocated; the contents of the missing
     * ones in the range are overwritten. The first k present shards in index order are used.
     *
     * @throws NotEnoughShardsException if fewer than k shards are present
     */
    public void reconstruct(byte[][] shards, boolean[] shardPresent, int offset, int byteCount) {
        rebuildMissing(shards, shardPresent, offset, byteCount, true);
    }

    /**
     * As {@link #reconstruct}, but rebuilds only the missing data shards: a read needs no parity, and
     * skipping it saves a pass over the range per missing parity shard, whose buffer is left as it is.
     *
     * @throws NotEnoughShardsException if fewer than k shards are present
     */
    public void reconstructData(byte[][] shards, boolean[] shardPresent, int offset, int byteCount) {
        rebuildMissing(shards, shardPresent, offset, byteCount, false);
    }

    private void rebuildMissing(byte[][] shards, boolean[] shardPresent, int offset, int byteCount, boolean parityToo) {
        checkShards(shards, offset, byteCount);
        if (shardPresent == null || shardPresent.length != totalShards) {
            throw new IllegalArgumentException("shardPresent must have " + totalShards + " entries, got "
                    + (shardPresent == null ? "null" : shardPresent.length));
        }
        int present = 0;
        for (boolean p : shardPresent) {
            if (p) {
                present++;
            }
        }
        if (present == totalShards) {
            return;
        }
        if (present < dataShards) {
            throw new NotEnoughShardsException(dataShards, present);
        }

        // Rows of the coding matrix for the first k surviving shards, and those shards themselves.
        int[] rowsUsed = new int[dataShards];
        byte[][] inputs = new byte[dataShards][];
        BitSet key = new BitSet(totalShards);
        for (int i = 0, n = 0; n < dataShards; i++) {
            if (shardPresent[i]) {
                rowsUsed[n] = i;
                inputs[n++] = shards[i];
                key.set(i);
            }
        }

        // inputs = S * data, where S is those rows; so data = S^-1 * inputs. Row d of S^-1 rebuilds
        // data shard d.
        boolean dataMissing = false;
        for (int d = 0; d < dataShards && !dataMissing; d++) {
            dataMissing = !shardPresent[d];
        }
        if (dataMissing) {
            byte[][] decodeRows = decodeMatrix(key, rowsUsed);
            for (int d = 0; d < dataShards; d++) {
                if (!shardPresent[d]) {
                    codeRow(decodeRows[d], inputs, offset, shards[d], offset, byteCount);
                }
            }
        }

        if (!parityToo) {
            return;
        }
        // All data is now in place; missing parity is simply re-encoded from it.
        byte[][] data = dataInputs(shards);
        for (int p = 0; p < parityShards; p++) {
            if (!shardPresent[dataShards + p]) {
                codeRow(parityRows[p], data, offset, shards[dataShards + p], offset, byteCount);
            }
        }
    }

    private byte[][] decodeMatrix(BitSet key, int[] rowsUsed) {
        synchronized (decodeCache) {
            byte[][] cached = decodeCache.get(key);
            if (cached != null) {
                return cached;
            }
        }
        // Invert outside the lock; a racing thread may compute the same matrix, which is harmless.
        Matrix inverse = matrix.selectRows(rowsUsed).invert();
        byte[][] rows = new byte[dataShards][];
        for (int r = 0; r < dataShards; r++) {
            rows[r] = inverse.row(r);
        }
        synchronized (decodeCache) {
            decodeCache.put(key, rows);
        }
        return rows;
    }

    private byte[][] dataInputs(byte[][] shards) {
        byte[][] inputs = new byte[dataShards][];
        System.arraycopy(shards, 0, inputs, 0, dataShards);
        return inputs;
    }

    /** outputs[o] = sum_i matrixRows[o][i] * inputs[i], chunked for cache locality. */
    private static void code(byte[][] matrixRows, byte[][] inputs, byte[][] outputs, int offset, int byteCount) {
        int end = offset + byteCount;
        for (int start = offset; start < end; start += CHUNK) {
            int len = Math.min(CHUNK, end - start);
            for (int o = 0; o < outputs.length; o++) {
                codeRow(matrixRows[o], inputs, start, outputs[o], start, len);
            }
        }
    }

    /**
     * out[outOffset + b] = sum_i coefs[i] * inputs[i][inOffset + b] for b in [0, len). Uses one row of
     * the product table per input so the per-byte work is a load, a table lookup and an XOR; the first
     * input assigns, which saves clearing the output.
     */
    private static void codeRow(byte[] coefs, byte[][] inputs, int inOffset, byte[] out, int outOffset, int len) {
        byte[] mulRow = GaloisField.mulRow(coefs[0]);
        byte[] in = inputs[0];
        for (int b = 0; b < len; b++) {
            out[outOffset + b] = mulRow[in[inOffset + b] & 0xFF];
        }
        for (int i = 1; i < inputs.length; i++) {
            mulRow = GaloisField.mulRow(coefs[i]);
            in = inputs[i];
            for (int b = 0; b < len; b++) {
                out[outOffset + b] ^= mulRow[in[inOffset + b] & 0xFF];
            }
        }
    }

    private void checkShards(byte[][] shards, int offset, int byteCount) {
        if (shards == null || shards.length != totalShards) {
            throw new IllegalArgumentException(
                    "expected " + totalShards + " shards, got " + (shards == null ? "null" : shards.length));
        }
        if (offset < 0 || byteCount < 0) {
            throw new IllegalArgumentException("offset and byteCount must be >= 0, got " + offset + ", " + byteCount);
        }
        for (int i = 0; i < totalShards; i++) {
            byte[] shard = shards[i];
            if (shard == null) {
                throw new IllegalArgumentException("shard " + i + " is null");
            }
            if (byteCount > shard.length - offset) {
                throw new IllegalArgumentException(
                        "shard " + i + " has " + shard.length + " bytes, need offset " + offset + " + " + byteCount);
            }
        }
    }
}
