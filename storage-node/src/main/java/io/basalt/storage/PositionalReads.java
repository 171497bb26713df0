package io.basalt.storage;

import com.sun.nio.file.ExtendedOpenOption;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads of a file at given positions. With O_DIRECT (a data dir that takes it) every read covers whole blocks
 * into a block-aligned buffer and the asked-for bytes are copied out: the disk's bytes never pass through the
 * page cache, which on a node whose page cache is full costs a reclaim and a kernel copy per page read, and a
 * scrub or a cold read no longer evicts what is hot. As the kernel's read-ahead is gone with it, a reader reads ahead
 * itself when told how far. Not thread-safe: one reader per stream.
 */
final class PositionalReads implements AutoCloseable {
    private static final int BLOCK = ShardFileLayout.BLOCK;

    private final FileChannel channel;
    private final boolean direct;
    private ByteBuffer aligned; // taken on first use under O_DIRECT
    private Held held = Held.NONE;
    // the file range the aligned buffer holds from the last read, or -1 and -1
    private long heldFrom = -1;
    private long heldTo = -1;
    private int diskReads; // read calls under O_DIRECT, for tests

    /** Where the aligned buffer came from, so it goes back there. */
    private enum Held {
        NONE,
        STAGING,
        WINDOW,
        OWN
    }

    private PositionalReads(FileChannel channel, boolean direct) {
        this.channel = channel;
        this.direct = direct;
    }

    static PositionalReads open(Path file, boolean direct) throws IOException {
        return new PositionalReads(
                direct
                        ? FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)
                        : FileChannel.open(file, StandardOpenOption.READ),
                direct);
    }

    long size() throws IOException {
        return channel.size();
    }

    /**
     * Fills {@code dst} with the file's bytes from {@code position}.
     *
     * @throws CorruptShardException if the file ends first
     */
    void readFully(ByteBuffer dst, long position) throws IOException {
        readFully(dst, position, position + dst.remaining());
    }

    /**
     * As {@link #readFully(ByteBuffer, long)}; under O_DIRECT it reads on up to file position {@code aheadTo} (at most
     * {@link ReadWindows#SIZE} in one read) and serves later reads inside what it read from memory. A caller reading a
     * range chunk by chunk names the range's end, so a whole-shard read takes a quarter of the I/Os and a ranged read
     * reads nothing it was not asked for.
     */
    void readFully(ByteBuffer dst, long position, long aheadTo) throws IOException {
        if (!direct) {
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position);
                if (n < 0) throw new CorruptShardException("unexpected end of shard file at " + position);
                position += n;
            }
            return;
        }
        int need = dst.remaining();
        if (position < heldFrom || position + need > heldTo) {
            long from = position / BLOCK * BLOCK;
            int span = roundUp(position - from + need);
            long ahead = Math.min(Math.max(aheadTo, position + need) - from, ReadWindows.SIZE);
            ByteBuffer a = alignedBuffer(span, Math.max(span, roundUp(ahead)));
            heldFrom = heldTo = -1; // a failed read leaves nothing held
            long at = readAligned(a, from, position + need);
            heldFrom = from;
            heldTo = at;
        }
        int to = dst.position();
        dst.put(to, aligned, (int) (position - heldFrom), need).position(to + need);
    }

    /**
     * Under O_DIRECT, reads {@code length} bytes from {@code position} in one read (from the block below it) into a read
     * window lent to the caller, who owns its one reference: the buffer's readable bytes are exactly those asked for,
     * for a transport to send without copying them out. Null when the file is read through the page cache, the span
     * exceeds a window or no window is free: the caller reads through {@link #readFully} instead.
     *
     * @throws CorruptShardException if the file ends first
     */
    ByteBuf lend(long position, int length) throws IOException {
        if (!direct) return null;
        long from = position / BLOCK * BLOCK;
        int skip = (int) (position - from);
        int span = roundUp(skip + (long) length);
        if (span > ReadWindows.SIZE) return null;
        ByteBuf window = ReadWindows.tryLend();
        if (window == null) return null;
        try {
            readAligned(window.nioBuffer(0, span), from, position + length);
            return window.setIndex(skip, skip + length);
        } catch (IOException | RuntimeException e) {
            window.release();
            throw e;
        }
    }

    /** Fills block-aligned {@code a} from block {@code from} on, or up to the file's end; at least to {@code need}. */
    private long readAligned(ByteBuffer a, long from, long need) throws IOException {
        long at = from;
        while (a.hasRemaining()) {
            int n = channel.read(a, at);
            diskReads++;
            if (n <= 0) break;
            at += n;
            if (n % BLOCK != 0) break; // the file's end: what follows would be an unaligned read
        }
        if (at < need) throw new CorruptShardException("unexpected end of shard file at " + at);
        return at;
    }

    /** How many reads went to the file under O_DIRECT. */
    int diskReads() {
        return diskReads;
    }

    private static int roundUp(long n) {
        return Math.toIntExact((n + BLOCK - 1) / BLOCK * BLOCK);
    }

    /**
     * The aligned buffer, limited to {@code size} bytes or its capacity if smaller, and never less than {@code span}:
     * a read-ahead window when one is wanted and free, else a staging buffer, else one of the span's own.
     */
    private ByteBuffer alignedBuffer(int span, int size) {
        if (aligned == null || aligned.capacity() < size) {
            ByteBuffer window = held != Held.WINDOW && size > StagingBuffers.CAPACITY && size <= ReadWindows.SIZE
                    ? ReadWindows.tryTake()
                    : null;
            if (window != null) {
                release();
                aligned = window;
                held = Held.WINDOW;
            } else if (aligned == null || aligned.capacity() < span) {
                release();
                if (span <= StagingBuffers.CAPACITY) {
                    aligned = StagingBuffers.take();
                    held = Held.STAGING;
                } else {
                    aligned = ByteBuffer.allocateDirect(span + BLOCK).alignedSlice(BLOCK);
                    held = Held.OWN;
                }
            }
        }
        return aligned.clear().limit(Math.min(size, aligned.capacity()));
    }

    private void release() {
        if (held == Held.STAGING) StagingBuffers.give(aligned);
        if (held == Held.WINDOW) ReadWindows.give(aligned);
        aligned = null;
        held = Held.NONE;
        heldFrom = heldTo = -1;
    }

    @Override
    public void close() throws IOException {
        release();
        channel.close();
    }
}
