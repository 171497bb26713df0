package io.basalt.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * One record of a pack file: a small shard stored whole, or the deletion of one. The header (with
 * the id) and the data carry checksums of their own: a header that checks can be trusted for the
 * record's length, so rot in a shard's data costs that shard alone (its reads fail and the scrub
 * reports it), and a reader past a damaged header looks for the next header that checks.
 *
 * <pre>
 * off  size  field
 *   0    4   magic "BPK1"
 *   4    4   record length, all fields included
 *   8    1   type: 1 shard, 2 deleted
 *   9    1   reserved (0)
 *  10    2   shard id length L (UTF-8 bytes)
 *  12    8   written at, epoch milliseconds
 *  20    4   chunk size the shard was written with
 *  24    4   data length D (0 for a deletion)
 *  28    4   CRC32C of the data: the shard's own checksum
 *  32    4   CRC32C of bytes 0..32 and the id
 *  36    L   shard id
 *  36+L  D   data
 * </pre>
 */
record PackRecord(Type type, String shardId, long writtenAtMs, int chunkSize, int dataLength, int dataCrc32c) {
    static final int HEADER = 36;
    static final int MAGIC = 0x42504B31; // "BPK1"
    /** Longer ids than any shard id; bounds what a corrupt length field can make a reader allocate. */
    static final int MAX_ID_BYTES = 1024;

    enum Type {
        SHARD(1),
        DELETED(2);

        final byte code;

        Type(int code) {
            this.code = (byte) code;
        }

        static Type of(byte code) {
            for (Type t : values()) if (t.code == code) return t;
            return null;
        }
    }

    /** Bytes the record takes in its pack. */
    int length() {
        return HEADER + idBytes().length + dataLength;
    }

    /** Offset of the data from the record's start. */
    int dataOffset() {
        return HEADER + idBytes().length;
    }

    private byte[] idBytes() {
        return shardId.getBytes(StandardCharsets.UTF_8);
    }

    /** The whole record, ready to append. @param data the shard's bytes; empty for a deletion */
    ByteBuffer encode(ByteBuffer data) {
        byte[] id = idBytes();
        ByteBuffer out = ByteBuffer.allocate(length());
        out.putInt(MAGIC)
                .putInt(length())
                .put(type.code)
                .put((byte) 0)
                .putShort((short) id.length)
                .putLong(writtenAtMs)
                .putInt(chunkSize)
                .putInt(dataLength)
                .putInt(dataCrc32c);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, 32);
        crc.update(id);
        out.putInt((int) crc.getValue()).put(id).put(data.duplicate());
        return out.flip();
    }

    /**
     * The record whose header starts at {@code bytes}' position, if that header checks; its data is
     * not looked at (see {@link #dataMatches}) and may lie beyond the buffer's end (a torn tail).
     */
    static PackRecord decodeHeader(ByteBuffer bytes) {
        int start = bytes.position();
        if (bytes.remaining() < HEADER || bytes.getInt(start) != MAGIC) return null;
        int idLength = Short.toUnsignedInt(bytes.getShort(start + 10));
        if (idLength == 0 || idLength > MAX_ID_BYTES || bytes.remaining() < HEADER + idLength) return null;
        byte[] head = new byte[32];
        bytes.get(start, head);
        byte[] id = new byte[idLength];
        bytes.get(start + HEADER, id);
        CRC32C crc = new CRC32C();
        crc.update(head);
        crc.update(id);
        if ((int) crc.getValue() != bytes.getInt(start + 32)) return null;
        Type type = Type.of(bytes.get(start + 8));
        int dataLength = bytes.getInt(start + 24);
        if (type == null || dataLength < 0 || bytes.getInt(start + 4) != HEADER + idLength + dataLength) return null;
        return new PackRecord(
                type,
                new String(id, StandardCharsets.UTF_8),
                bytes.getLong(start + 12),
                bytes.getInt(start + 20),
                dataLength,
                bytes.getInt(start + 28));
    }

    /** Whether the record's data, at {@code recordStart} in {@code bytes}, is what it was written as. */
    boolean dataMatches(ByteBuffer bytes, int recordStart) {
        CRC32C crc = new CRC32C();
        int from = recordStart + dataOffset();
        crc.update(bytes.duplicate().position(from).limit(from + dataLength));
        return (int) crc.getValue() == dataCrc32c;
    }
}
