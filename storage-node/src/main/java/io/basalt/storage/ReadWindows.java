package io.basalt.storage;

import java.nio.ByteBuffer;

/**
 * Block-aligned direct buffers of {@link #SIZE} into which an O_DIRECT reader reads ahead of the chunk asked for.
 * Without the page cache nothing else reads ahead, and one read per 256 KiB chunk costs a disk round trip and an I/O's
 * CPU for each. At most {@link #COUNT} exist, so read-ahead costs a node at most {@code COUNT * SIZE} of direct
 * memory; a reader that finds none reads a chunk at a time.
 */
final class ReadWindows {
    static final int SIZE = 1024 * 1024;
    static final int COUNT = 32;

    private static final AlignedBufferPool pool = new AlignedBufferPool(SIZE, COUNT, true);

    private ReadWindows() {}

    /** A cleared window, or null when all {@link #COUNT} are in use. */
    static ByteBuffer tryTake() {
        return pool.take();
    }

    static void give(ByteBuffer b) {
        pool.give(b);
    }
}
