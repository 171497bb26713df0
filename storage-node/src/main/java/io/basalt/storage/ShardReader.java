package io.basalt.storage;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Reads verified chunks of one shard file. Holding the channel open keeps serving the
 * version that was opened even if the shard is replaced or deleted meanwhile.
 */
final class ShardReader implements AutoCloseable {
    private final String shardId;
    private final PositionalReads reads;
    private final ShardHeader header;
    /** Where the chunks lie in a shard file; null for a packed shard. */
    private final ShardFileLayout layout;
    /** Format 2's chunk CRCs, read with the first chunk (a stat needs only the header); null until then. */
    private int[] chunkCrcs;

    private final DataDir dir;

    /** Where a packed shard's data starts in its pack, or -1 for a shard file. */
    private final long packedAt;

    /** Where this file's header and CRC table are kept once read, or null (the scrubber reads them from disk). */
    private final ShardLayouts layouts;

    /** The file's {@link ShardLayouts#fileKey}, what {@link #layouts} keeps its tables under. */
    private final Object fileKey;

    private ShardReader(
            String shardId,
            PositionalReads reads,
            ShardHeader header,
            ShardFileLayout layout,
            DataDir dir,
            long packedAt,
            ShardLayouts layouts,
            Object fileKey,
            int[] chunkCrcs) {
        this.shardId = shardId;
        this.reads = reads;
        this.header = header;
        this.layout = layout;
        this.dir = dir;
        this.packedAt = packedAt;
        this.layouts = layouts;
        this.fileKey = fileKey;
        this.chunkCrcs = chunkCrcs;
    }

    /**
     * A shard stored in a pack: one chunk, whose checksum is the record's. Holding the pack open
     * keeps serving it if compaction moves the record meanwhile.
     */
    static ShardReader openPacked(String shardId, Path pack, PackLog.Entry e, DataDir dir) throws IOException {
        PackRecord r = e.record();
        PositionalReads reads = PositionalReads.open(pack, false); // packs are written through the page cache
        return new ShardReader(
                shardId,
                reads,
                new ShardHeader(r.chunkSize(), r.dataLength(), r.dataCrc32c()),
                null,
                dir,
                e.offset() + r.dataOffset(),
                null,
                null,
                null);
    }

    /** Opens and checks the header and file size; NoSuchFileException if absent. */
    static ShardReader open(String shardId, Path file) throws IOException {
        return open(shardId, file, null);
    }

    /**
     * As {@link #open(String, Path)}, remembering the dir so a later I/O error can be blamed on it, and reading
     * with O_DIRECT where the dir takes it.
     */
    static ShardReader open(String shardId, Path file, DataDir dir) throws IOException {
        return open(shardId, file, dir, null);
    }

    /**
     * As {@link #open(String, Path, DataDir)}, taking the header and CRC table from {@code layouts} where it holds
     * this very file's, and keeping them there once read.
     */
    static ShardReader open(String shardId, Path file, DataDir dir, ShardLayouts layouts) throws IOException {
        // The file's identity before it is opened: should a rename replace it in between, what this reader learns
        // is kept under the identity of a file no longer there, never under the new one's.
        Object key = layouts == null ? null : ShardLayouts.fileKey(file);
        PositionalReads reads = PositionalReads.open(file, dir != null && dir.directIo());
        try {
            ShardLayouts.Known known = layouts == null ? null : layouts.lookup(shardId, key);
            if (known == null || reads.size() != known.layout().fileSize()) known = null;
            ShardFileLayout layout = known != null ? known.layout() : readHeader(shardId, reads);
            int[] crcs = known != null ? known.chunkCrcs() : null; // else read with the first chunk
            return new ShardReader(shardId, reads, layout.header(), layout, dir, -1, layouts, key, crcs);
        } catch (IOException | RuntimeException e) {
            reads.close();
            throw e;
        }
    }

    private static ShardFileLayout readHeader(String shardId, PositionalReads reads) throws IOException {
        long size = reads.size();
        if (size < ShardHeader.SIZE) {
            throw new CorruptShardException("corrupt shard " + shardId + ": file shorter than its header");
        }
        ByteBuffer buf = ByteBuffer.allocate(ShardHeader.SIZE);
        reads.readFully(buf, 0);
        ShardFileLayout layout;
        try {
            layout = ShardHeader.decode(buf.flip());
        } catch (CorruptShardException e) {
            throw new CorruptShardException("corrupt shard " + shardId + " header: " + e.getMessage());
        }
        if (size != layout.fileSize()) {
            throw new CorruptShardException(
                    "corrupt shard " + shardId + ": file has " + size + " bytes, header implies " + layout.fileSize());
        }
        return layout;
    }

    private int[] readChunkCrcs() throws IOException {
        int chunks = Math.toIntExact(layout.header().chunkCount());
        ByteBuffer table = ByteBuffer.allocate(chunks * ShardHeader.CHUNK_CRC_SIZE);
        reads.readFully(table, layout.crcTablePosition());
        int[] crcs = new int[chunks];
        table.flip().asIntBuffer().get(crcs);
        if (layouts != null) layouts.remember(shardId, new ShardLayouts.Known(fileKey, layout, crcs));
        return crcs;
    }

    ShardHeader header() {
        return header;
    }

    /** Reads that went to the disk under O_DIRECT so far, for tests. */
    int diskReads() {
        return reads.diskReads();
    }

    /** The data dir the file is in, or null when opened without one. */
    DataDir dir() {
        return dir;
    }

    /**
     * Returns chunk {@code index}'s data in a fresh array (callers may wrap it without copying), reading ahead
     * to the shard's end: for a caller that reads the chunks in order, as the scrubber does.
     *
     * @throws CorruptShardException if its stored CRC32C does not match, so bad bytes never leave the node
     */
    byte[] readChunk(long index) throws IOException {
        byte[] data = new byte[header.chunkLength(index)];
        readChunk(index, ByteBuffer.wrap(data), header.chunkCount() - 1);
        return data;
    }

    /**
     * Reads chunk {@code index} into {@code dst}'s next {@link ShardHeader#chunkLength} bytes (its position moves
     * past them) and verifies them. The file is read ahead through chunk {@code aheadThrough} (the last one the
     * caller will want), so the chunks up to it take fewer reads. {@code dst} keeps whatever was read if the chunk
     * proves corrupt; the caller drops it.
     *
     * @return the chunk's data length
     * @throws CorruptShardException if its stored CRC32C does not match, so bad bytes never leave the node
     */
    int readChunk(long index, ByteBuffer dst, long aheadThrough) throws IOException {
        int len = header.chunkLength(index);
        ByteBuffer data = dst.slice(dst.position(), len);
        int stored;
        if (packedAt >= 0) { // one chunk, its checksum the record's
            reads.readFully(data, packedAt);
            stored = header.shardCrc32c();
        } else {
            long last = Math.max(index, Math.min(aheadThrough, header.chunkCount() - 1));
            long aheadTo = layout.dataPosition(last) + header.chunkLength(last);
            long at = layout.dataPosition(index);
            if (layout.version() == ShardFileLayout.ALIGNED) {
                if (chunkCrcs == null) chunkCrcs = readChunkCrcs();
                stored = chunkCrcs[Math.toIntExact(index)];
            } else { // format 1: the CRC just before the data
                ByteBuffer crc = ByteBuffer.allocate(ShardHeader.CHUNK_CRC_SIZE);
                reads.readFully(crc, at - ShardHeader.CHUNK_CRC_SIZE, aheadTo);
                stored = crc.getInt(0);
            }
            reads.readFully(data, at, aheadTo);
        }
        verify(index, data.flip(), stored);
        dst.position(dst.position() + len);
        return len;
    }

    /**
     * Chunks {@code first} through at most {@code through}, as many as one read window holds, read in one O_DIRECT
     * read and verified, lent in the window they were read into: a transport sends them from there without copying
     * them out. Null where chunks are not lent (a packed shard, format 1, a file read through the page cache, a
     * chunk larger than a window), where one window cannot hold chunks {@code first} through {@code need} (a message
     * that spans them), or no window is free; the caller then reads with {@link #readChunk}.
     *
     * @throws CorruptShardException if any of them does not match its stored CRC32C: none of them is lent
     */
    LentChunks lendChunks(long first, long need, long through) throws IOException {
        if (packedAt >= 0 || layout.version() != ShardFileLayout.ALIGNED) return null;
        long last = Math.min(through, header.chunkCount() - 1);
        long start = layout.dataPosition(first);
        long room = ReadWindows.SIZE - start % ShardFileLayout.BLOCK; // chunks are contiguous in format 2
        long count = Math.max(1, Math.min(last - first + 1, room / header.chunkSize()));
        long length = layout.dataPosition(first + count - 1) + header.chunkLength(first + count - 1) - start;
        if (length > room || first + count - 1 < need) return null; // decided before any read
        ByteBuf window = reads.lend(start, (int) length);
        if (window == null) return null;
        try {
            if (chunkCrcs == null) chunkCrcs = readChunkCrcs();
            LentChunks lent = new LentChunks(window, first, (int) count, header.chunkSize());
            for (long i = first; i < first + count; i++) verify(i, lent.view(i), chunkCrcs[Math.toIntExact(i)]);
            return lent;
        } catch (IOException | RuntimeException e) {
            window.release();
            throw e;
        }
    }

    /** Chunk {@code index}'s {@code data} against its stored CRC32C, so bad bytes never leave the node. */
    private void verify(long index, ByteBuffer data, int stored) throws CorruptShardException {
        CRC32C crc = new CRC32C();
        crc.update(data);
        if ((int) crc.getValue() != stored) {
            if (layouts != null) layouts.forget(shardId); // the table may be what is wrong: the next read rereads it
            throw new CorruptShardException("corrupt shard " + shardId + " chunk " + index);
        }
    }

    /** Verified chunks {@code first} to {@code first + count - 1}, back to back in {@code window}'s readable bytes. */
    record LentChunks(ByteBuf window, long first, int count, int chunkSize) {
        boolean holds(long index) {
            return index >= first && index < first + count;
        }

        /**
         * Shard bytes [{@code from}, {@code from + length}) of chunks it holds as a buffer of its own reference to the
         * window, for a transport to send and release.
         */
        ByteBuf slice(long from, int length) {
            return window.retainedSlice(window.readerIndex() + (int) (from - first * chunkSize), length);
        }

        private ByteBuffer view(long index) {
            int at = at(index);
            return window.nioBuffer(at, lengthFrom(at));
        }

        private int at(long index) {
            return window.readerIndex() + (int) (index - first) * chunkSize;
        }

        private int lengthFrom(int at) { // the shard's last chunk may be short
            return Math.min(chunkSize, window.writerIndex() - at);
        }

        /** Gives up the holder's reference; the window goes back to its pool once every chunk sent is released. */
        void release() {
            window.release();
        }
    }

    @Override
    public void close() throws IOException {
        reads.close();
    }
}
