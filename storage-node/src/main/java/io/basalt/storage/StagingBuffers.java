package io.basalt.storage;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Block-aligned direct buffers through which shard files are written and read (O_DIRECT takes only aligned memory),
 * kept for reuse: allocating and zeroing one per shard would cost what the aligned write saves. At most
 * {@link #KEPT} are kept; more writers at once allocate their own and the extra are dropped on return.
 */
final class StagingBuffers {
    /** What a shard writer stages before a write: a multiple of {@link ShardFileLayout#BLOCK}; a 256 KiB chunk fills it. */
    static final int SIZE = 256 * 1024;
    /** Room for a reader's 256 KiB chunk that starts and ends inside a block (format 1, or a chunk size off blocks). */
    static final int CAPACITY = SIZE + 2 * ShardFileLayout.BLOCK;

    private static final int KEPT = 32;
    private static final ArrayBlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(KEPT);

    private StagingBuffers() {}

    /** A cleared buffer of {@link #CAPACITY} bytes whose address is block-aligned; its contents are undefined. */
    static ByteBuffer take() {
        ByteBuffer b = free.poll();
        return b != null
                ? b.clear()
                : ByteBuffer.allocateDirect(CAPACITY + ShardFileLayout.BLOCK).alignedSlice(ShardFileLayout.BLOCK);
    }

    static void give(ByteBuffer b) {
        free.offer(b);
    }
}
