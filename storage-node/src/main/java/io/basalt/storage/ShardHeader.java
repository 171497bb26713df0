package io.basalt.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The fixed 32-byte header of a shard file, and the chunk layout it implies.
 *
 * <pre>
 * off size field
 *   0   4  magic "BSLT"
 *   4   2  format version
 *   6   2  reserved (0)
 *   8   4  chunk size
 *  12   8  data length
 *  20   4  CRC32C of the whole shard's data
 *  24   4  CRC32C of bytes 0..24 (a torn or rotted header must not be trusted)
 *  28   4  reserved (0)
 * </pre>
 *
 * Chunk i is stored at {@code SIZE + i * (4 + chunkSize)} as [CRC32C][data]; every chunk
 * holds chunkSize bytes except the last.
 */
record ShardHeader(int chunkSize, long length, int shardCrc32c) {
    static final int SIZE = 32;
    static final int CHUNK_CRC_SIZE = 4;
    static final short VERSION = 1;
    private static final byte[] MAGIC = "BSLT".getBytes(StandardCharsets.US_ASCII);

    ShardHeader {
        if (chunkSize <= 0) throw new IllegalArgumentException("chunk size must be positive: " + chunkSize);
        if (length < 0) throw new IllegalArgumentException("negative length: " + length);
    }

    long chunkCount() {
        return (length + chunkSize - 1) / chunkSize;
    }

    /** File position of chunk {@code index}'s CRC, followed by its data. */
    long chunkPosition(long index) {
        return SIZE + index * (CHUNK_CRC_SIZE + (long) chunkSize);
    }

    int chunkLength(long index) {
        return (int) Math.min(chunkSize, length - index * chunkSize);
    }

    /** Size a complete shard file with this header must have; anything else is a torn file. */
    long fileSize() {
        return SIZE + chunkCount() * CHUNK_CRC_SIZE + length;
    }

    ByteBuffer encode() {
        ByteBuffer buf = ByteBuffer.allocate(SIZE);
        buf.put(MAGIC)
                .putShort(VERSION)
                .putShort((short) 0)
                .putInt(chunkSize)
                .putLong(length)
                .putInt(shardCrc32c);
        buf.putInt(crcOfPrefix(buf.array())).putInt(0);
        return buf.flip();
    }

    static ShardHeader decode(ByteBuffer buf) throws CorruptShardException {
        if (buf.remaining() < SIZE) throw new CorruptShardException("short header");
        byte[] bytes = new byte[SIZE];
        buf.get(bytes);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) throw new CorruptShardException("bad magic");
        short version = in.getShort();
        if (version != VERSION) throw new CorruptShardException("unsupported format version " + version);
        in.getShort();
        int chunkSize = in.getInt();
        long length = in.getLong();
        int shardCrc = in.getInt();
        if (in.getInt() != crcOfPrefix(bytes)) throw new CorruptShardException("header checksum mismatch");
        if (chunkSize <= 0 || length < 0) throw new CorruptShardException("impossible header values");
        return new ShardHeader(chunkSize, length, shardCrc);
    }

    private static int crcOfPrefix(byte[] header) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, 24);
        return (int) crc.getValue();
    }
}
