package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The shard file formats on real files: what the writer stores (format 2, block-aligned, written and read with
 * O_DIRECT where the file system takes it and through the page cache where not) reads back chunk for chunk, has the
 * size its header implies, whole blocks and zeros between the fields; format 1 (what 0.1 reads, written on
 * request) is byte for byte what 0.1 wrote and still reads; rot in data or in the CRC table is caught.
 */
class ShardFileFormatTest {
    private static Path root;
    private static DataDir direct;
    private static DataDir paged; // as on a file system that refuses O_DIRECT
    private static final AtomicInteger ids = new AtomicInteger();

    @BeforeContainer
    static void open() throws IOException {
        root = Files.createTempDirectory("basalt-format-");
        direct = DataDir.open(root.resolve("disk"));
        paged = DataDir.open(root.resolve("paged"));
        paged.usePageCache();
    }

    @AfterContainer
    static void remove() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Example
    void aDiskTakesDirectIo() throws IOException {
        String type = Files.getFileStore(direct.root()).type();
        if (type.equals("ext4") || type.equals("xfs")) assertTrue(direct.directIo(), type + " takes O_DIRECT");
    }

    @Property(tries = 40)
    void whatIsWrittenReadsBackChunkForChunk(
            @ForAll @IntRange(min = 0, max = 2_600_000) int length, // past two of a writer's 1 MiB stages
            @ForAll @IntRange(min = 0, max = 4) int chunkChoice,
            @ForAll boolean onDisk,
            @ForAll boolean formatOne,
            @ForAll long seed)
            throws IOException {
        int chunkSize = new int[] {1000, 4096, 65536, 262144, 300_001}[chunkChoice];
        DataDir dir = onDisk ? direct : paged;
        byte[] data = new byte[length];
        new Random(seed).nextBytes(data);
        String id = "f." + ids.incrementAndGet();
        short format = formatOne ? ShardFileLayout.INLINE_CRCS : ShardFileLayout.ALIGNED;

        ShardHeader written = write(dir, id, data, chunkSize, format);

        Path file = dir.shardPath(id);
        ShardFileLayout layout = layoutOf(file);
        assertEquals(format, layout.version());
        if (formatOne) { // byte for byte what 0.1 wrote and reads
            assertArrayEquals(formatOneFile(data, chunkSize), Files.readAllBytes(file));
            try (ShardReader reader = ShardReader.open(id, file, dir)) {
                ByteBuffer back = ByteBuffer.allocate(length);
                for (long i = 0; i < written.chunkCount(); i++) back.put(reader.readChunk(i));
                assertArrayEquals(data, back.array());
            }
            Files.delete(file);
            return;
        }
        assertEquals(written, layout.header());
        assertEquals(layout.fileSize(), Files.size(file));
        assertEquals(0, Files.size(file) % ShardFileLayout.BLOCK, "whole blocks");
        CRC32C whole = new CRC32C();
        whole.update(data);
        assertEquals((int) whole.getValue(), written.shardCrc32c());
        byte[] bytes = Files.readAllBytes(file);
        assertTrue(isZero(bytes, ShardHeader.SIZE, ShardFileLayout.BLOCK), "the header block is zero after the header");
        assertTrue(
                isZero(bytes, ShardFileLayout.BLOCK + length, (int) layout.crcTablePosition()), "zeros after the data");
        try (ShardReader reader = ShardReader.open(id, file, dir)) {
            ByteBuffer back = ByteBuffer.allocate(length);
            for (long i = 0; i < written.chunkCount(); i++) back.put(reader.readChunk(i));
            assertArrayEquals(data, back.array());
        }
        Files.delete(file);
    }

    @Example
    void rotInDataOrInTheCrcTableIsCaughtAndPaddingIsNotData() throws IOException {
        byte[] data = new byte[3 * 65536 + 100];
        new Random(7).nextBytes(data);
        for (long at : new long[] {ShardFileLayout.BLOCK + 65536 + 5, -1}) {
            String id = "rot." + ids.incrementAndGet();
            write(direct, id, data, 65536);
            Path file = direct.shardPath(id);
            ShardFileLayout layout = layoutOf(file);
            long position = at >= 0 ? at : layout.crcTablePosition() + 4 + 1; // chunk 1's CRC
            ShardFailureTest.flipByte(file, position);
            try (ShardReader reader = ShardReader.open(id, file, direct)) {
                assertArrayEquals(Arrays.copyOfRange(data, 0, 65536), reader.readChunk(0));
                assertThrows(CorruptShardException.class, () -> reader.readChunk(1));
                assertArrayEquals(Arrays.copyOfRange(data, 2 * 65536, 3 * 65536), reader.readChunk(2));
            }
        }
        String id = "pad." + ids.incrementAndGet();
        write(direct, id, data, 65536);
        Path file = direct.shardPath(id);
        ShardFailureTest.flipByte(file, ShardFileLayout.BLOCK + data.length + 3); // zeros after the data
        try (ShardReader reader = ShardReader.open(id, file, direct)) {
            assertArrayEquals(Arrays.copyOfRange(data, 3 * 65536, data.length), reader.readChunk(3));
        }
    }

    @Example
    void aWriterBeyondTheKeptStagesStagesLessAndWritesTheSameFile() throws IOException {
        byte[] data = new byte[2_600_000];
        new Random(5).nextBytes(data);
        List<ByteBuffer> held = new ArrayList<>();
        try {
            ByteBuffer b = StagingBuffers.takeForWrite();
            for (int i = 0; i < 64 && b.limit() == StagingBuffers.WRITE_SIZE; i++) { // 32 are kept
                held.add(b);
                b = StagingBuffers.takeForWrite();
            }
            assertEquals(StagingBuffers.SIZE, b.limit(), "all 1 MiB stages out: 256 KiB");
            assertEquals(0, b.limit() % ShardFileLayout.BLOCK);
            StagingBuffers.giveWrite(b);
            String small = "s." + ids.incrementAndGet();
            ShardHeader written = write(direct, small, data, 262144); // staged 256 KiB at a time
            held.forEach(StagingBuffers::giveWrite);
            held.clear();
            ByteBuffer again = StagingBuffers.takeForWrite();
            held.add(again);
            assertEquals(StagingBuffers.WRITE_SIZE, again.limit(), "one returned: 1 MiB again");
            String large = "l." + ids.incrementAndGet();
            assertEquals(written, write(direct, large, data, 262144));
            assertArrayEquals(Files.readAllBytes(direct.shardPath(small)), Files.readAllBytes(direct.shardPath(large)));
            try (ShardReader reader = ShardReader.open(small, direct.shardPath(small), direct)) {
                ByteBuffer back = ByteBuffer.allocate(data.length);
                for (long i = 0; i < written.chunkCount(); i++) back.put(reader.readChunk(i));
                assertArrayEquals(data, back.array());
            }
        } finally {
            held.forEach(StagingBuffers::giveWrite);
        }
    }

    /** A shard file as releases before 0.2 wrote it: the header, then [CRC32C][data] per chunk. */
    private static byte[] formatOneFile(byte[] data, int chunkSize) {
        CRC32C whole = new CRC32C();
        whole.update(data);
        ShardHeader header = new ShardHeader(chunkSize, data.length, (int) whole.getValue());
        int chunks = (int) header.chunkCount();
        ByteBuffer file = ByteBuffer.allocate(ShardHeader.SIZE + chunks * 4 + data.length);
        file.put(header.encode(ShardFileLayout.INLINE_CRCS));
        for (int i = 0; i < chunks; i++) {
            int len = Math.min(chunkSize, data.length - i * chunkSize);
            CRC32C crc = new CRC32C();
            crc.update(data, i * chunkSize, len);
            file.putInt((int) crc.getValue()).put(data, i * chunkSize, len);
        }
        return file.array();
    }

    @Example
    void formatOneFilesStillRead() throws IOException {
        byte[] data = new byte[2500];
        new Random(11).nextBytes(data);
        int chunkSize = 1000;
        CRC32C whole = new CRC32C();
        whole.update(data);
        ShardHeader header = new ShardHeader(chunkSize, data.length, (int) whole.getValue());
        String id = "v1." + ids.incrementAndGet();
        Path path = direct.shardPath(id);
        Files.createDirectories(path.getParent());
        Files.write(path, formatOneFile(data, chunkSize));

        for (DataDir readVia : new DataDir[] {direct, paged}) { // O_DIRECT reads whole blocks around each chunk
            try (ShardReader reader = ShardReader.open(id, path, readVia)) {
                assertEquals(header, reader.header());
                ByteBuffer back = ByteBuffer.allocate(data.length);
                for (long i = 0; i < 3; i++) back.put(reader.readChunk(i));
                assertArrayEquals(data, back.array());
            }
        }
        ShardFailureTest.flipByte(path, ShardHeader.SIZE + 4 + chunkSize + 4 + 17); // chunk 1's data
        try (ShardReader reader = ShardReader.open(id, path, direct)) {
            assertThrows(CorruptShardException.class, () -> reader.readChunk(1));
        }
    }

    private static ShardHeader write(DataDir dir, String id, byte[] data, int chunkSize) throws IOException {
        return write(dir, id, data, chunkSize, ShardFileLayout.ALIGNED);
    }

    private static ShardHeader write(DataDir dir, String id, byte[] data, int chunkSize, short format)
            throws IOException {
        try (ShardFileWriter w = ShardFileWriter.create(id, chunkSize, dir, format)) {
            for (int off = 0; off < data.length; off += chunkSize) {
                int len = Math.min(chunkSize, data.length - off);
                CRC32C crc = new CRC32C();
                crc.update(data, off, len);
                // the transport hands a chunk over in pieces: split it in two buffers
                int half = len / 2;
                w.append(
                        new ByteBuffer[] {
                            ByteBuffer.wrap(data, off, half), ByteBuffer.wrap(data, off + half, len - half)
                        },
                        (int) crc.getValue());
            }
            return w.commit();
        }
    }

    private static ShardFileLayout layoutOf(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ShardHeader.read(ch);
        }
    }

    private static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] != 0) return false;
        return true;
    }
}
