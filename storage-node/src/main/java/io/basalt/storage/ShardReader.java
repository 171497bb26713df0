package io.basalt.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads verified chunks of one shard file. Holding the channel open keeps serving the
 * version that was opened even if the shard is replaced or deleted meanwhile.
 */
final class ShardReader implements AutoCloseable {
    private final String shardId;
    private final FileChannel channel;
    private final ShardHeader header;
    private final DataDir dir;

    /** Where a packed shard's data starts in its pack, or -1 for a shard file. */
    private final long packedAt;

    private ShardReader(String shardId, FileChannel channel, ShardHeader header, DataDir dir, long packedAt) {
        this.shardId = shardId;
        this.channel = channel;
        this.header = header;
        this.dir = dir;
        this.packedAt = packedAt;
    }

    /**
     * A shard stored in a pack: one chunk, whose checksum is the record's. Holding the pack open
     * keeps serving it if compaction moves the record meanwhile.
     */
    static ShardReader openPacked(String shardId, Path pack, PackLog.Entry e, DataDir dir) throws IOException {
        PackRecord r = e.record();
        FileChannel channel = FileChannel.open(pack, StandardOpenOption.READ);
        return new ShardReader(
                shardId,
                channel,
                new ShardHeader(r.chunkSize(), r.dataLength(), r.dataCrc32c()),
                dir,
                e.offset() + r.dataOffset());
    }

    /** Opens and checks the header and file size; NoSuchFileException if absent. */
    static ShardReader open(String shardId, Path file) throws IOException {
        return open(shardId, file, null);
    }

    /** As {@link #open(String, Path)}, remembering the dir so a later I/O error can be blamed on it. */
    static ShardReader open(String shardId, Path file, DataDir dir) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ShardHeader header = readHeader(shardId, channel);
            return new ShardReader(shardId, channel, header, dir, -1);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static ShardHeader readHeader(String shardId, FileChannel channel) throws IOException {
        if (channel.size() < ShardHeader.SIZE) {
            throw new CorruptShardException("corrupt shard " + shardId + ": file shorter than its header");
        }
        ByteBuffer buf = ByteBuffer.allocate(ShardHeader.SIZE);
        readFully(channel, buf, 0);
        ShardHeader header;
        try {
            header = ShardHeader.decode(buf.flip());
        } catch (CorruptShardException e) {
            throw new CorruptShardException("corrupt shard " + shardId + " header: " + e.getMessage());
        }
        if (channel.size() != header.fileSize()) {
            throw new CorruptShardException("corrupt shard " + shardId + ": file has " + channel.size()
                    + " bytes, header implies " + header.fileSize());
        }
        return header;
    }

    ShardHeader header() {
        return header;
    }

    /** The data dir the file is in, or null when opened without one. */
    DataDir dir() {
        return dir;
    }

    /**
     * Returns chunk {@code index}'s data in a fresh array (callers may wrap it without copying).
     *
     * @throws CorruptShardException if its stored CRC32C does not match, so bad bytes never leave the node
     */
    byte[] readChunk(long index) throws IOException {
        byte[] buf = new byte[ShardHeader.CHUNK_CRC_SIZE + header.chunkLength(index)];
        int len = readChunk(index, buf);
        return Arrays.copyOfRange(buf, ShardHeader.CHUNK_CRC_SIZE, ShardHeader.CHUNK_CRC_SIZE + len);
    }

    /**
     * Reads chunk {@code index} into {@code buf} (its stored CRC32C, then its data from
     * {@link ShardHeader#CHUNK_CRC_SIZE}), one read for both; {@code buf} must hold
     * {@link #chunkBufferSize(long)} bytes. Reusing one buffer per stream saves two fresh arrays per chunk.
     *
     * @return the chunk's data length
     * @throws CorruptShardException if its stored CRC32C does not match, so bad bytes never leave the node
     */
    int readChunk(long index, byte[] buf) throws IOException {
        int len = header.chunkLength(index);
        int stored;
        if (packedAt >= 0) { // one chunk, its checksum the record's
            readFully(channel, ByteBuffer.wrap(buf, ShardHeader.CHUNK_CRC_SIZE, len), packedAt);
            stored = header.shardCrc32c();
        } else {
            readFully(channel, ByteBuffer.wrap(buf, 0, ShardHeader.CHUNK_CRC_SIZE + len), header.chunkPosition(index));
            stored = ByteBuffer.wrap(buf).getInt(0);
        }
        CRC32C crc = new CRC32C();
        crc.update(buf, ShardHeader.CHUNK_CRC_SIZE, len);
        if ((int) crc.getValue() != stored) {
            throw new CorruptShardException("corrupt shard " + shardId + " chunk " + index);
        }
        return len;
    }

    /** Room {@link #readChunk(long, byte[])} needs for chunk {@code index}. */
    int chunkBufferSize(long index) {
        return ShardHeader.CHUNK_CRC_SIZE + header.chunkLength(index);
    }

    private static void readFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = channel.read(buf, position);
            if (n < 0) {
                throw new CorruptShardException("unexpected end of shard file at " + position);
            }
            position += n;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
