package io.basalt.storage;

import java.nio.ByteBuffer;

/**
 * The aligned buffers through which shard files are written and read under O_DIRECT: 32 kept for reuse, more
 * writers at once allocate their own (see {@link AlignedBufferPool}).
 */
final class StagingBuffers {
    /** What a shard writer stages before a write: a multiple of {@link ShardFileLayout#BLOCK}; a 256 KiB chunk fills it. */
    static final int SIZE = 256 * 1024;
    /** Room for a reader's 256 KiB chunk that starts and ends inside a block (format 1, or a chunk size off blocks). */
    static final int CAPACITY = SIZE + 2 * ShardFileLayout.BLOCK;

    private static final AlignedBufferPool pool = new AlignedBufferPool(CAPACITY, 32, false);

    private StagingBuffers() {}

    /** A cleared buffer of {@link #CAPACITY} bytes whose address is block-aligned; its contents are undefined. */
    static ByteBuffer take() {
        return pool.take();
    }

    static void give(ByteBuffer b) {
        pool.give(b);
    }
}
