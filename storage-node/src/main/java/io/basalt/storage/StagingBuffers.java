package io.basalt.storage;

import java.nio.ByteBuffer;

/**
 * The aligned buffers through which shard files are written and read under O_DIRECT: 32 of each kind kept for reuse,
 * more writers or readers at once allocate their own (see {@link AlignedBufferPool}).
 */
final class StagingBuffers {
    /** A reader's chunk: 256 KiB. */
    static final int SIZE = 256 * 1024;
    /** Room for a reader's 256 KiB chunk that starts and ends inside a block (format 1, or a chunk size off blocks). */
    static final int CAPACITY = SIZE + 2 * ShardFileLayout.BLOCK;
    /**
     * What a shard writer stages before a write, a multiple of {@link ShardFileLayout#BLOCK}: four 256 KiB chunks.
     * Each O_DIRECT write puts its thread to sleep until the disk has the bytes, so a write per chunk cost a wakeup
     * and a device request per 256 KiB.
     */
    static final int WRITE_SIZE = 1024 * 1024;

    private static final AlignedBufferPool pool = new AlignedBufferPool(CAPACITY, 32, false);
    // bounded: beyond 32 writers at once a writer stages 256 KiB, rather than allocating 1 MiB of direct memory
    // that only a GC would free
    private static final AlignedBufferPool writes = new AlignedBufferPool(WRITE_SIZE, 32, true);

    private StagingBuffers() {}

    /** A cleared buffer of {@link #CAPACITY} bytes whose address is block-aligned; its contents are undefined. */
    static ByteBuffer take() {
        return pool.take();
    }

    static void give(ByteBuffer b) {
        pool.give(b);
    }

    /**
     * A cleared, block-aligned buffer for a shard writer, its limit at what the writer stages before each write:
     * {@link #WRITE_SIZE} while one of those is free, else {@link #SIZE}.
     */
    static ByteBuffer takeForWrite() {
        ByteBuffer b = writes.take();
        return b != null ? b.limit(WRITE_SIZE) : pool.take().limit(SIZE);
    }

    static void giveWrite(ByteBuffer b) {
        if (b.capacity() >= WRITE_SIZE) writes.give(b);
        else pool.give(b);
    }
}
