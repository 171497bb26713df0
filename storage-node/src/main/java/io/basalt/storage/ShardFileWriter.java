package io.basalt.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
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
    private final CRC32C shardCrc = new CRC32C();
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
     * Appends one chunk after checking its CRC against the writer's.
     *
     * @param data the chunk's bytes, as a list of buffers so protobuf's ByteString need not be copied
     * @throws IllegalArgumentException if the chunk breaks the size rule
     * @throws CorruptShardException if the data does not match {@code crc32c}
     */
    void append(List<ByteBuffer> data, int crc32c) throws IOException {
        long size = data.stream().mapToLong(ByteBuffer::remaining).sum();
        if (sawShortChunk) {
            throw new IllegalArgumentException("chunk " + (chunks - 1) + " of shard " + shardId
                    + " is shorter than chunk_size " + chunkSize + " but is not the last");
        }
        if (size > chunkSize) {
            throw new IllegalArgumentException("chunk " + chunks + " of shard " + shardId + " has " + size
                    + " bytes, more than chunk_size " + chunkSize);
        }
        CRC32C chunkCrc = new CRC32C();
        data.forEach(b -> chunkCrc.update(b.duplicate()));
        if ((int) chunkCrc.getValue() != crc32c) {
            throw new CorruptShardException("checksum mismatch in chunk " + chunks);
        }
        if (size < chunkSize) {
            sawShortChunk = true;
        }
        if (size == 0) {
            return; // an empty trailing chunk stores nothing
        }
        data.forEach(b -> shardCrc.update(b.duplicate()));
        ByteBuffer[] gather = new ByteBuffer[data.size() + 1];
        gather[0] =
                ByteBuffer.allocate(ShardHeader.CHUNK_CRC_SIZE).putInt(crc32c).flip();
        for (int i = 0; i < data.size(); i++) {
            gather[i + 1] = data.get(i).duplicate();
        }
        long remaining = size + ShardHeader.CHUNK_CRC_SIZE;
        while (remaining > 0) {
            remaining -= channel.write(gather);
        }
        length += size;
        chunks++;
    }

    /** Makes the shard durable and visible under its final name; returns its header. */
    ShardHeader commit() throws IOException {
        ShardHeader header = new ShardHeader(chunkSize, length, (int) shardCrc.getValue());
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
