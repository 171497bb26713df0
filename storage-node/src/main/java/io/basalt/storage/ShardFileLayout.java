package io.basalt.storage;

/**
 * Where a shard file in a given format version keeps its chunks and their CRC32Cs.
 *
 * <ul>
 *   <li>Version 1, CRCs inline: the 32-byte header, then chunk i at {@code 32 + i * (4 + chunkSize)} as
 *       [CRC32C][data]. Written by releases before 0.2; still read.
 *   <li>Version 2, block-aligned: the header in a block of its own, the data from {@link #BLOCK} with chunk
 *       i at {@code BLOCK + i * chunkSize}, zeros to the next block boundary, then the chunks' CRC32Cs (4 bytes
 *       each, big-endian) padded with zeros to a block. Every write is whole blocks at block offsets, so a
 *       node can write with O_DIRECT: the bytes go from its buffer to the disk without the kernel's copy into
 *       the page cache (which, with the page cache full, as on any storage server, cost more CPU than the
 *       rest of the write).
 * </ul>
 */
record ShardFileLayout(short version, ShardHeader header) {
    static final short INLINE_CRCS = 1;
    static final short ALIGNED = 2;
    /** The alignment unit of version 2; O_DIRECT needs offsets and lengths in multiples of the device's block. */
    static final int BLOCK = 4096;

    /** File position of chunk {@code index}'s data. */
    long dataPosition(long index) {
        return version == INLINE_CRCS
                ? ShardHeader.SIZE
                        + index * (ShardHeader.CHUNK_CRC_SIZE + (long) header.chunkSize())
                        + ShardHeader.CHUNK_CRC_SIZE
                : BLOCK + index * (long) header.chunkSize();
    }

    /** Version 2: file position of the chunks' CRC table. */
    long crcTablePosition() {
        return BLOCK + roundUp(header.length());
    }

    /** Size a complete shard file with this header must have; anything else is a torn file. */
    long fileSize() {
        long chunks = header.chunkCount();
        return version == INLINE_CRCS
                ? ShardHeader.SIZE + chunks * ShardHeader.CHUNK_CRC_SIZE + header.length()
                : BLOCK + roundUp(header.length()) + roundUp(chunks * ShardHeader.CHUNK_CRC_SIZE);
    }

    static long roundUp(long n) {
        return (n + BLOCK - 1) / BLOCK * BLOCK;
    }
}
