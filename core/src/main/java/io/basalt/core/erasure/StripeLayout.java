package io.basalt.core.erasure;

import io.basalt.proto.meta.ErasureLayout;

/**
 * Where the bytes of an erasure-coded segment live. The segment is cut into stripes of
 * {@code blockSize} bytes; stripe s is split into k data chunks of ceil(stripeLen / k) bytes
 * (the last one zero-padded) plus m parity chunks, and chunk i of every stripe is appended to
 * shard i. So all shards of a segment have the same length, and stripe s starts at the same
 * shard offset in every shard.
 */
public record StripeLayout(int k, int m, int blockSize, long size) {

    public StripeLayout {
        if (k < 1 || m < 0 || k + m > 256) throw new IllegalArgumentException("bad erasure layout " + k + "+" + m);
        if (blockSize < k) throw new IllegalArgumentException("block size " + blockSize + " below k=" + k);
        if (size < 0) throw new IllegalArgumentException("negative size");
    }

    public static StripeLayout of(ErasureLayout layout, long size) {
        return new StripeLayout(layout.getK(), layout.getM(), layout.getBlockSize(), size);
    }

    public int totalShards() {
        return k + m;
    }

    /** Chunk size of a full stripe: the size of every stored chunk but the last. */
    public int chunkSize() {
        return ceilDiv(blockSize, k);
    }

    public long stripeCount() {
        return (size + blockSize - 1) / blockSize;
    }

    public int stripeLength(long stripe) {
        long start = stripe * blockSize;
        return (int) Math.min(blockSize, size - start);
    }

    public int chunkLength(long stripe) {
        return ceilDiv(stripeLength(stripe), k);
    }

    public long stripeOfOffset(long offset) {
        return offset / blockSize;
    }

    public long stripeStart(long stripe) {
        return stripe * blockSize;
    }

    /** Offset of stripe {@code stripe}'s chunk within every shard. */
    public long shardOffset(long stripe) {
        return stripe * chunkSize();
    }

    public long shardLength() {
        long full = size / blockSize;
        int rest = (int) (size % blockSize);
        return full * chunkSize() + (rest == 0 ? 0 : ceilDiv(rest, k));
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
