package io.basalt.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * What a shard's header says: its chunk size, data length and whole-shard CRC32C. Shard files encode it
 * in 32 bytes at offset 0 (the layout that follows depends on the format version, see {@link ShardFileLayout});
 * pack records carry the same three values in their own header.
 *
 * <pre>
 * off size field
 *   0   4  magic "BSLT"
 *   4   2  format version (1: CRCs inline, 2: block-aligned)
 *   6   2  reserved (0)
 *   8   4  chunk size
 *  12   8  data length
 *  20   4  CRC32C of the whole shard's data
 *  24   4  CRC32C of bytes 0..24 (a torn or rotted header must not be trusted)
 *  28   4  reserved (0)
 * </pre>
 *
 * Every chunk holds chunkSize bytes except the last.
 */
record ShardHeader(int chunkSize, long length, int shardCrc32c) {
    static final int SIZE = 32;
    static final int CHUNK_CRC_SIZE = 4;
    private static final byte[] MAGIC = "BSLT".getBytes(StandardCharsets.US_ASCII);

    ShardHeader {
        if (chunkSize <= 0) throw new IllegalArgumentException("chunk size must be positive: " + chunkSize);
        if (length < 0) throw new IllegalArgumentException("negative length: " + length);
    }

    long chunkCount() {
        return (length + chunkSize - 1) / chunkSize;
    }

    int chunkLength(long index) {
        return (int) Math.min(chunkSize, length - index * chunkSize);
    }

    /** The {@link #SIZE} bytes of the header of a shard file in format {@code version}. */
    ByteBuffer encode(short version) {
        ByteBuffer buf = ByteBuffer.allocate(SIZE);
        buf.put(MAGIC)
                .putShort(version)
                .putShort((short) 0)
                .putInt(chunkSize)
                .putLong(length)
                .putInt(shardCrc32c);
        buf.putInt(crcOfPrefix(buf.array())).putInt(0);
        return buf.flip();
    }

    /** Reads the header at the start of an open shard file (through the page cache, for tools and tests). */
    static ShardFileLayout read(FileChannel file) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(SIZE);
        while (head.hasRemaining() && file.read(head, head.position()) >= 0) {
            // until full or the file's end, which decode reports as a short header
        }
        return decode(head.flip());
    }

    /** Reads a shard file's header; the version it names says where the chunks and their checksums lie. */
    static ShardFileLayout decode(ByteBuffer buf) throws CorruptShardException {
        if (buf.remaining() < SIZE) throw new CorruptShardException("short header");
        byte[] bytes = new byte[SIZE];
        buf.get(bytes);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) throw new CorruptShardException("bad magic");
        short version = in.getShort();
        in.getShort();
        int chunkSize = in.getInt();
        long length = in.getLong();
        int shardCrc = in.getInt();
        if (in.getInt() != crcOfPrefix(bytes)) throw new CorruptShardException("header checksum mismatch");
        if (version != ShardFileLayout.INLINE_CRCS && version != ShardFileLayout.ALIGNED)
            throw new CorruptShardException("unsupported format version " + version);
        if (chunkSize <= 0 || length < 0) throw new CorruptShardException("impossible header values");
        return new ShardFileLayout(version, new ShardHeader(chunkSize, length, shardCrc));
    }

    private static int crcOfPrefix(byte[] header) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, 24);
        return (int) crc.getValue();
    }
}
