package io.basalt.storage;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads of a file at given positions. With O_DIRECT (a data dir that takes it) every read covers whole blocks
 * into a block-aligned buffer and the asked-for bytes are copied out: the disk's bytes never pass through the
 * page cache, which on a node whose page cache is full costs a reclaim and a kernel copy per page read, and a
 * scrub or a cold read no longer evicts what is hot. Not thread-safe: one reader per stream.
 */
final class PositionalReads implements AutoCloseable {
    private static final int BLOCK = ShardFileLayout.BLOCK;

    private final FileChannel channel;
    private final boolean direct;
    private ByteBuffer aligned; // taken on first use under O_DIRECT
    private boolean pooled;

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
        if (!direct) {
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position);
                if (n < 0) throw new CorruptShardException("unexpected end of shard file at " + position);
                position += n;
            }
            return;
        }
        long from = position / BLOCK * BLOCK;
        int skip = (int) (position - from);
        int need = dst.remaining();
        int span = (skip + need + BLOCK - 1) / BLOCK * BLOCK;
        ByteBuffer a = alignedBuffer(span);
        long at = from;
        while (a.hasRemaining()) {
            int n = channel.read(a, at);
            if (n <= 0) break;
            at += n;
            if (n % BLOCK != 0) break; // the file's end: what follows would be an unaligned read
        }
        if (a.position() < skip + need)
            throw new CorruptShardException("unexpected end of shard file at " + (from + a.position()));
        dst.put(a.flip().position(skip).limit(skip + need));
    }

    private ByteBuffer alignedBuffer(int span) {
        if (aligned == null || aligned.capacity() < span) {
            release();
            if (span <= StagingBuffers.CAPACITY) {
                aligned = StagingBuffers.take();
                pooled = true;
            } else {
                aligned = ByteBuffer.allocateDirect(span + BLOCK).alignedSlice(BLOCK);
                pooled = false;
            }
        }
        return aligned.clear().limit(span);
    }

    private void release() {
        if (aligned != null && pooled) StagingBuffers.give(aligned);
        aligned = null;
    }

    @Override
    public void close() throws IOException {
        release();
        channel.close();
    }
}
