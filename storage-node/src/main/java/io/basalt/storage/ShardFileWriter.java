package io.basalt.storage;

import com.sun.nio.file.ExtendedOpenOption;
import io.basalt.core.shard.Crc32cCombine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Writes one shard into a temp file and publishes it with fsync + atomic rename. In the block-aligned format
 * ({@link ShardFileLayout#ALIGNED}) chunks are copied into a block-aligned staging buffer and written a whole
 * buffer at a time, with O_DIRECT where the data dir takes it: a copy within the CPU's cache instead of the
 * kernel's into page-cache pages, which on a node whose page cache is full means reclaiming memory and
 * writing to cold lines for every byte. Format 1 (what 0.1 reads) goes through the same buffer and the page
 * cache, each chunk's CRC inline before it. Not thread-safe: one gRPC write stream owns one writer.
 */
final class ShardFileWriter implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(ShardFileWriter.class);
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ShardFileLayout.BLOCK);

    private final String shardId;
    private final int chunkSize;
    private final DataDir dataDir;
    private final Path tempFile;
    private final Path target;
    private final FileChannel channel;
    private final CRC32C chunkCrc = new CRC32C();
    private final int fullChunkOperator;
    private final short format;
    private final int stageSize; // whole blocks: what is staged before each write

    /** Bytes not yet written, in write mode; its first byte goes to file position {@link #flushedTo}. */
    private ByteBuffer stage;

    private long flushedTo; // format 2: the header's block, format 1: the header, are written at commit
    private int[] chunkCrcs = new int[16];
    private int shardCrc; // CRC32C of the data appended so far
    private long length;
    private int chunks;
    private boolean sawShortChunk;
    private boolean finished;
    private long fsyncNanos;

    private ShardFileWriter(
            String shardId, int chunkSize, DataDir dataDir, FileChannel channel, Path tempFile, short format) {
        this.shardId = shardId;
        this.format = format;
        this.flushedTo = format == ShardFileLayout.ALIGNED ? ShardFileLayout.BLOCK : ShardHeader.SIZE;
        this.chunkSize = chunkSize;
        this.dataDir = dataDir;
        this.channel = channel;
        this.tempFile = tempFile;
        this.target = dataDir.shardPath(shardId);
        this.fullChunkOperator = Crc32cCombine.operator(chunkSize);
        this.stage = StagingBuffers.takeForWrite();
        this.stageSize = stage.limit();
    }

    static ShardFileWriter create(String shardId, int chunkSize, DataDir dataDir) throws IOException {
        return create(shardId, chunkSize, dataDir, ShardFileLayout.ALIGNED);
    }

    /** @param format {@link ShardFileLayout#ALIGNED}, or {@link ShardFileLayout#INLINE_CRCS} for 0.1 to read */
    static ShardFileWriter create(String shardId, int chunkSize, DataDir dataDir, short format) throws IOException {
        Path tempFile = dataDir.newTempFile(shardId);
        OpenOption[] options = dataDir.directIo() && format == ShardFileLayout.ALIGNED
                ? new OpenOption[] {StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT}
                : new OpenOption[] {StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE};
        FileChannel channel = FileChannel.open(tempFile, options);
        return new ShardFileWriter(shardId, chunkSize, dataDir, channel, tempFile, format);
    }

    DataDir dataDir() {
        return dataDir;
    }

    /** Time the commit spent in fsync of the file and of its directory. */
    long fsyncNanos() {
        return fsyncNanos;
    }

    /**
     * Appends one chunk after checking its CRC against the writer's: one pass over its bytes to check (the
     * whole-shard CRC is combined from the chunk CRCs) and one to copy them into the staging buffer.
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
        chunkCrc.reset();
        for (ByteBuffer b : data) chunkCrc.update(b.duplicate());
        if ((int) chunkCrc.getValue() != crc32c) {
            throw new CorruptShardException("checksum mismatch in chunk " + chunks);
        }
        if (size < chunkSize) {
            sawShortChunk = true;
        }
        if (size == 0) {
            return; // an empty trailing chunk stores nothing
        }
        if (format == ShardFileLayout.INLINE_CRCS) stage(ByteBuffer.allocate(4).putInt(0, crc32c));
        for (ByteBuffer b : data) stage(b.duplicate());
        shardCrc = Crc32cCombine.combine(
                shardCrc, crc32c, size == chunkSize ? fullChunkOperator : Crc32cCombine.operator(size));
        if (chunks == chunkCrcs.length) chunkCrcs = Arrays.copyOf(chunkCrcs, chunks * 2);
        chunkCrcs[chunks++] = crc32c;
        length += size;
    }

    /** Makes the shard durable and visible under its final name; returns its header. */
    ShardHeader commit() throws IOException {
        ShardHeader header = new ShardHeader(chunkSize, length, shardCrc);
        if (format == ShardFileLayout.INLINE_CRCS) {
            stage.flip();
            writeFully(flushedTo);
            ByteBuffer encoded = header.encode(ShardFileLayout.INLINE_CRCS);
            while (encoded.hasRemaining()) channel.write(encoded, encoded.position());
            return publish(header);
        }
        padToBlock(); // the data's end
        for (int i = 0; i < chunks; i++) {
            stage.putInt(chunkCrcs[i]);
            if (!stage.hasRemaining()) flush();
        }
        padToBlock();
        clearStage().put(header.encode(ShardFileLayout.ALIGNED));
        padToBlock(0); // the header's block, written last so a torn file never has a valid one
        return publish(header);
    }

    private ShardHeader publish(ShardHeader header) throws IOException {
        long forceStart = System.nanoTime();
        channel.force(true);
        fsyncNanos = System.nanoTime() - forceStart;
        channel.close();
        release();
        Path dir = target.getParent();
        if (!Files.isDirectory(dir)) {
            // only when missing: on an existing dir createDirectories throws and catches an exception each time
            Files.createDirectories(dir);
            Durability.fsyncDirectory(dir.getParent());
        }
        Files.move(tempFile, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        long dirStart = System.nanoTime();
        Durability.fsyncDirectory(dir);
        fsyncNanos += System.nanoTime() - dirStart;
        finished = true;
        return header;
    }

    private void stage(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), stage.remaining());
            stage.put(stage.position(), src, src.position(), n);
            stage.position(stage.position() + n);
            src.position(src.position() + n);
            if (!stage.hasRemaining()) flush();
        }
    }

    /** Zeros to the next block boundary, then writes what is staged. */
    private void padToBlock() throws IOException {
        padToBlock(flushedTo);
    }

    private void padToBlock(long position) throws IOException {
        int pad = (ShardFileLayout.BLOCK - stage.position() % ShardFileLayout.BLOCK) % ShardFileLayout.BLOCK;
        stage.put(ZEROS.duplicate().limit(pad));
        if (stage.position() == 0) return;
        stage.flip();
        writeFully(position);
        if (position == flushedTo) flushedTo += stage.limit();
        clearStage();
    }

    /** Writes the full staging buffer (whole blocks) at {@link #flushedTo}. */
    private void flush() throws IOException {
        stage.flip();
        writeFully(flushedTo);
        flushedTo += stage.limit();
        clearStage();
    }

    private ByteBuffer clearStage() {
        return stage.clear().limit(stageSize);
    }

    private void writeFully(long position) throws IOException {
        while (stage.hasRemaining()) {
            position += channel.write(stage, position);
        }
    }

    private void release() {
        if (stage != null) {
            StagingBuffers.giveWrite(stage);
            stage = null;
        }
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
        } finally {
            release();
        }
    }
}
