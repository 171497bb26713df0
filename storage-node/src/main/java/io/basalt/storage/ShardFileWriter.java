package io.basalt.storage;

import io.basalt.core.shard.Crc32cCombine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Writes one shard into a temp file and publishes it with fsync + atomic rename.
 * Not thread-safe: one gRPC write stream owns one writer.
 */
final class ShardFileWriter implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(ShardFileWriter.class);

    private final String shardId;
    private final int chunkSize;
    private final DataDir dataDir;
    private final Path tempFile;
    private final Path target;
    private final FileChannel channel;
    private final CRC32C chunkCrc = new CRC32C();
    /** Direct, so the kernel takes it with the chunk in one writev without a copy through a temporary buffer. */
    private final ByteBuffer crcField = ByteBuffer.allocateDirect(ShardHeader.CHUNK_CRC_SIZE);

    private final int fullChunkOperator;
    private int shardCrc; // CRC32C of the data appended so far
    private long length;
    private long chunks;
    private boolean sawShortChunk;
    private boolean finished;
    private long fsyncNanos;

    private ShardFileWriter(String shardId, int chunkSize, DataDir dataDir, FileChannel channel, Path tempFile) {
        this.shardId = shardId;
        this.chunkSize = chunkSize;
        this.dataDir = dataDir;
        this.channel = channel;
        this.tempFile = tempFile;
        this.target = dataDir.shardPath(shardId);
        this.fullChunkOperator = Crc32cCombine.operator(chunkSize);
    }

    static ShardFileWriter create(String shardId, int chunkSize, DataDir dataDir) throws IOException {
        Path tempFile = dataDir.newTempFile(shardId);
        FileChannel channel = FileChannel.open(tempFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        // Placeholder header: length and whole-shard CRC are only known at commit.
        channel.position(ShardHeader.SIZE);
        return new ShardFileWriter(shardId, chunkSize, dataDir, channel, tempFile);
    }

    DataDir dataDir() {
        return dataDir;
    }

    /** Time the commit spent in fsync of the file and of its directory. */
    long fsyncNanos() {
        return fsyncNanos;
    }

    /**
     * Appends one chunk after checking its CRC against the writer's: one pass over its bytes (the
     * whole-shard CRC is combined from the chunk CRCs), and direct buffers go to the kernel as they are.
     *
     * @param data the chunk's bytes; read with absolute positions, never modified
     * @throws IllegalArgumentException if the chunk breaks the size rule
     * @throws CorruptShardException if the data does not match {@code crc32c}
     */
    void append(ByteBuffer[] data, int crc32c) throws IOException {
        long size = 0;
        for (ByteBuffer b : data) size += b.remaining();
        if (sawShortChunk) {
            throw new IllegalArgumentException("chunk " + (chunks - 1) + " of shard " + shardId
                    + " is shorter than chunk_size " + chunkSize + " but is not the last");
        }
        if (size > chunkSize) {
            throw new IllegalArgumentException("chunk " + chunks + " of shard " + shardId + " has " + size
                    + " bytes, more than chunk_size " + chunkSize);
        }
        ByteBuffer[] gather = new ByteBuffer[data.length + 1];
        chunkCrc.reset();
        for (int i = 0; i < data.length; i++) {
            gather[i + 1] = data[i].duplicate();
            chunkCrc.update(data[i].duplicate());
        }
        if ((int) chunkCrc.getValue() != crc32c) {
            throw new CorruptShardException("checksum mismatch in chunk " + chunks);
        }
        if (size < chunkSize) {
            sawShortChunk = true;
        }
        if (size == 0) {
            return; // an empty trailing chunk stores nothing
        }
        shardCrc = Crc32cCombine.combine(
                shardCrc, crc32c, size == chunkSize ? fullChunkOperator : Crc32cCombine.operator(size));
        gather[0] = crcField.clear().putInt(crc32c).flip();
        long remaining = size + ShardHeader.CHUNK_CRC_SIZE;
        while (remaining > 0) {
            remaining -= channel.write(gather);
        }
        length += size;
        chunks++;
    }

    /** Makes the shard durable and visible under its final name; returns its header. */
    ShardHeader commit() throws IOException {
        ShardHeader header = new ShardHeader(chunkSize, length, shardCrc);
        ByteBuffer encoded = header.encode();
        while (encoded.hasRemaining()) {
            channel.write(encoded, ShardHeader.SIZE - encoded.remaining());
        }
        long forceStart = System.nanoTime();
        channel.force(true);
        fsyncNanos = System.nanoTime() - forceStart;
        channel.close();
        Path dir = target.getParent();
        boolean newDir = !Files.isDirectory(dir);
        Files.createDirectories(dir);
        if (newDir) {
            Durability.fsyncDirectory(dir.getParent());
        }
        Files.move(tempFile, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        long dirStart = System.nanoTime();
        Durability.fsyncDirectory(dir);
        fsyncNanos += System.nanoTime() - dirStart;
        finished = true;
        return header;
    }

    /** Discards the temp file unless the shard was committed; safe to call more than once. */
    @Override
    public void close() {
        if (finished) {
            return;
        }
        finished = true;
        try {
            channel.close();
            Files.deleteIfExists(tempFile);
        } catch (IOException e) {
            log.warn("cannot remove temp file {}: {}", tempFile, e.toString());
        }
    }
}
