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

    /** Bytes of parity recomputed per step of {@link #verify}, into one small scratch buffer. */
    private static final int CHUNK = 8 * 1024;

    /**
     * Upper bound on cached decode coders. Each holds the rows of the missing data shards, at most m x k
     * coefficients, and for the vector kernel two V-byte nibble tables per coefficient (V = 64 with AVX-512):
     * 8 KiB for 16+4, 2 MiB for the largest possible code, 128+128.
     */
    private static final int DECODE_CACHE_SIZE = 64;

    private final int dataShards;
    private final int parityShards;
    private final int totalShards;
    private final Matrix matrix;
    /** parityRows[p][c]: coefficient of data shard c in parity shard p; never mutated. */
    private final byte[][] parityRows;
    /** The GF(2^8) multiply-accumulate loops: scalar or Vector API. */
    private final GfKernel kernel;
    /** All parity rows, prepared for the kernel. */
    private final GfKernel.Coder parityCoder;

    /**
     * Coders for the missing data shards' rows of inverted sub-matrices, keyed by the set of k rows used;
     * access-ordered for LRU eviction.
     */
    private final Map<BitSet, GfKernel.Coder> decodeCache = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<BitSet, GfKernel.Coder> eldest) {
            return size() > DECODE_CACHE_SIZE;
        }
    };

    private ReedSolomon(int dataShards, int parityShards, GfKernel kernel) {
        this.kernel = kernel;
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
        this.parityCoder = kernel.coder(parityRows);
    }

    /**
     * A codec with the given shape.
     *
     * @throws IllegalArgumentException unless dataShards >= 1, parityShards >= 1 and their sum <= 256
     */
    public static ReedSolomon create(int dataShards, int parityShards) {
        return create(dataShards, parityShards, GfKernel.ACTIVE);
    }

    /** As {@link #create(int, int)}, on the given kernel (tests compare kernels with it). */
    static ReedSolomon create(int dataShards, int parityShards, GfKernel kernel) {
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
        return new ReedSolomon(dataShards, parityShards, kernel);
    }

    /**
     * The GF(2^8) kernel this JVM's codecs run on: "vector" (jdk.incubator.vector, when the JVM runs with
     * {@code --add-modules jdk.incubator.vector}, has at least 128-bit vectors and compiles with C2) or "scalar"
     * (otherwise, or with {@code -Dbasalt.codec=scalar}). Chosen once per JVM; both give the same bytes.
     */
    public static String kernelName() {
        return GfKernel.ACTIVE.name();
    }

    /**
     * Encodes and reconstructs a few hundred stripes of this shape so that C2 has compiled the kernel before
     * the first request needs it: until then the Vector API runs its Java fallback, ~100x slower, which
     * costs the first PUTs after a start about half a second of one core. Returns how many stripes it ran.
     */
    public static int warmUp(int dataShards, int parityShards, int shardBytes) {
        ReedSolomon rs = create(dataShards, parityShards);
        byte[][] shards = new byte[dataShards + parityShards][shardBytes];
        for (int i = 0; i < dataShards; i++) Arrays.fill(shards[i], (byte) (31 * i + 7));
        boolean[] present = new boolean[shards.length];
        Arrays.fill(present, true);
        for (int i = 0; i < Math.min(parityShards, dataShards); i++) present[i] = false;
        int stripes = 300;
        for (int i = 0; i < stripes; i++) {
            rs.encode(shards, 0, shardBytes);
            if (i % 3 == 0) rs.reconstructData(shards, present, 0, shardBytes);
        }
        return stripes;
    }

    int dataShards() {
        return dataShards;
    }

    int parityShards() {
        return parityShards;
    }

    GfKernel kernel() {
        return kernel;
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
        parityCoder.code(dataInputs(shards), offset, outputs, offset, byteCount);
    }

    /** True iff every parity shard matches the data shards over [offset, offset + byteCount). */
    public boolean verify(byte[][] shards, int offset, int byteCount) {
        checkShards(shards, offset, byteCount);
        byte[][] inputs = dataInputs(shards);
        // Recompute parity chunk by chunk into small scratch buffers rather than full shard copies.
        byte[][] scratch = new byte[parityShards][Math.min(byteCount, CHUNK)];
        int end = offset + byteCount;
        for (int start = offset; start < end; start += CHUNK) {
            int len = Math.min(CHUNK, end - start);
            parityCoder.code(inputs, start, scratch, 0, len);
            for (int p = 0; p < parityShards; p++) {
                if (!Arrays.equals(scratch[p], 0, len, shards[dataShards + p], start, start + len)) {
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

        boolean dataMissing = false;
        for (int d = 0; d < dataShards && !dataMissing; d++) {
            dataMissing = !shardPresent[d];
        }
        if (dataMissing) {
            // the missing data shards, all rebuilt in one pass over the inputs
            byte[][] outputs = new byte[dataShards - countPresent(shardPresent, 0, dataShards)][];
            for (int d = 0, n = 0; d < dataShards; d++) {
                if (!shardPresent[d]) {
                    outputs[n++] = shards[d];
                }
            }
            decodeCoder(key, rowsUsed, shardPresent).code(inputs, offset, outputs, offset, byteCount);
        }

        if (!parityToo) {
            return;
        }
        // All data is now in place; missing parity is simply re-encoded from it.
        int missingParity = parityShards - countPresent(shardPresent, dataShards, totalShards);
        if (missingParity == 0) {
            return;
        }
        byte[][] rows = new byte[missingParity][];
        byte[][] outputs = new byte[missingParity][];
        for (int p = 0, n = 0; p < parityShards; p++) {
            if (!shardPresent[dataShards + p]) {
                rows[n] = parityRows[p];
                outputs[n++] = shards[dataShards + p];
            }
        }
        GfKernel.Coder coder = missingParity == parityShards ? parityCoder : kernel.coder(rows);
        coder.code(dataInputs(shards), offset, outputs, offset, byteCount);
    }

    private static int countPresent(boolean[] shardPresent, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            if (shardPresent[i]) {
                n++;
            }
        }
        return n;
    }

    /**
     * The coder that rebuilds the missing data shards (in index order) from the surviving shards {@code
     * rowsUsed}. The key (the rows used: the first k present) also fixes which data shards are missing, since
     * every present data shard precedes every parity shard and so is among the first k present.
     */
    private GfKernel.Coder decodeCoder(BitSet key, int[] rowsUsed, boolean[] shardPresent) {
        synchronized (decodeCache) {
            GfKernel.Coder cached = decodeCache.get(key);
            if (cached != null) {
                return cached;
            }
        }
        // Invert outside the lock; a racing thread may compute the same coder, which is harmless.
        // inputs = S * data, where S is those rows; so data = S^-1 * inputs. Row d of S^-1 rebuilds data shard d.
        Matrix inverse = matrix.selectRows(rowsUsed).invert();
        byte[][] rows = new byte[dataShards - countPresent(shardPresent, 0, dataShards)][];
        for (int d = 0, n = 0; d < dataShards; d++) {
            if (!shardPresent[d]) {
                rows[n++] = inverse.row(d);
            }
        }
        GfKernel.Coder coder = kernel.coder(rows);
        synchronized (decodeCache) {
            decodeCache.put(key, coder);
        }
        return coder;
    }

    private byte[][] dataInputs(byte[][] shards) {
        byte[][] inputs = new byte[dataShards][];
        System.arraycopy(shards, 0, inputs, 0, dataShards);
        return inputs;
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
