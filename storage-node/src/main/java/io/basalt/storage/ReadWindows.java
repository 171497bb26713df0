package io.basalt.storage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Block-aligned direct buffers of {@link #SIZE} into which an O_DIRECT reader reads ahead of the chunk asked for.
 * Without the page cache nothing else reads ahead, and one read per 256 KiB chunk costs a disk round trip and an I/O's
 * CPU for each. At most {@link #COUNT} exist, so read-ahead costs a node at most {@code COUNT * SIZE} of direct
 * memory; a reader that finds none reads a chunk at a time. A window is either held by a reader for its life
 * ({@link #tryTake}) or lent as a buffer a transport sends from ({@link #tryLend}), back in the pool once the last
 * view of it is released.
 */
final class ReadWindows {
    static final int SIZE = 1024 * 1024;
    static final int COUNT = 32;

    private static final AlignedBufferPool pool = new AlignedBufferPool(SIZE, COUNT, true);
    private static final AtomicLong lent = new AtomicLong();

    private ReadWindows() {}

    /** A cleared window, or null when all {@link #COUNT} are in use. */
    static ByteBuffer tryTake() {
        return pool.take();
    }

    static void give(ByteBuffer b) {
        pool.give(b);
    }

    /** Windows taken or lent and not yet back: every one of them, once no stream reads. */
    static int inUse() {
        return pool.inUse();
    }

    /** Windows lent so far. */
    static long lentSoFar() {
        return lent.get();
    }

    /** A window as a buffer of one reference, all of it writable; null when all {@link #COUNT} are in use. */
    static ByteBuf tryLend() {
        ByteBuffer b = pool.take();
        if (b == null) return null;
        lent.incrementAndGet();
        return new Lent(b).clear();
    }

    /** A window whose memory goes back to the pool, not to the allocator, when its last reference is released. */
    private static final class Lent extends UnpooledDirectByteBuf {
        private final ByteBuffer window;

        Lent(ByteBuffer window) {
            super(ByteBufAllocator.DEFAULT, window, window.capacity()); // wraps it: never freed by Netty
            this.window = window;
        }

        @Override
        protected void deallocate() {
            super.deallocate();
            pool.give(window);
        }
    }
}
