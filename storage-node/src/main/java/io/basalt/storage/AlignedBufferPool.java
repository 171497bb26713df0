package io.basalt.storage;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Block-aligned direct buffers of one capacity, kept for reuse (O_DIRECT takes only aligned memory, and allocating
 * and zeroing one per use would cost what the aligned I/O saves). At most {@code kept} are kept; a bounded pool also
 * makes no more than that, an unbounded one allocates more when all are out and drops the extra on return.
 */
final class AlignedBufferPool {
    private final int capacity;
    private final int kept;
    private final boolean bounded;
    private final ArrayBlockingQueue<ByteBuffer> free;
    private final AtomicInteger made = new AtomicInteger();

    AlignedBufferPool(int capacity, int kept, boolean bounded) {
        this.capacity = capacity;
        this.kept = kept;
        this.bounded = bounded;
        this.free = new ArrayBlockingQueue<>(kept);
    }

    /** A cleared buffer whose address is block-aligned, contents undefined; null when a bounded pool has none. */
    ByteBuffer take() {
        ByteBuffer b = free.poll();
        if (b != null) return b.clear();
        if (bounded && made.incrementAndGet() > kept) {
            made.decrementAndGet();
            return null;
        }
        return ByteBuffer.allocateDirect(capacity + ShardFileLayout.BLOCK).alignedSlice(ShardFileLayout.BLOCK);
    }

    /** Buffers made and not back: for a bounded pool, those in use. */
    int inUse() {
        return made.get() - free.size();
    }

    void give(ByteBuffer b) {
        free.offer(b);
    }
}
