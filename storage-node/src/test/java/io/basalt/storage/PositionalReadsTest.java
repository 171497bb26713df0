package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Positional reads of a real file, with O_DIRECT where the file system takes it: any sequence of reads, each
 * reading ahead any distance, returns exactly the file's bytes, whether it is served from the read-ahead window,
 * a staging buffer or a buffer of its own; a read past the end is an error. A window lent for a transport to send
 * from holds exactly the bytes asked for and is back in its pool once its last view is released.
 */
class PositionalReadsTest {
    private static Path root;
    private static DataDir dir;

    @BeforeContainer
    static void open() throws IOException {
        root = Files.createTempDirectory("basalt-reads-");
        dir = DataDir.open(root.resolve("disk"));
    }

    @AfterContainer
    static void remove() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Property(tries = 60)
    void everyReadReturnsTheFilesBytes(
            @ForAll @IntRange(min = 0, max = 3_000_000) int size,
            @ForAll @IntRange(min = 1, max = 24) int readCount,
            @ForAll boolean sequential,
            @ForAll long seed)
            throws IOException {
        Random random = new Random(seed);
        byte[] content = new byte[size];
        random.nextBytes(content);
        Path file = Files.write(root.resolve("f" + seed), content);
        try (PositionalReads reads = PositionalReads.open(file, dir.directIo())) {
            long position = 0;
            for (int i = 0; i < readCount; i++) {
                if (!sequential) position = size == 0 ? 0 : random.nextInt(size + 1);
                int length = (int) Math.min(random.nextInt(1_300_000), size - position);
                long aheadTo = position + random.nextInt(2_500_000);
                ByteBuffer dst =
                        ByteBuffer.allocate(length + 3).position(3); // unaligned, as a chunk after its CRC slot
                reads.readFully(dst, position, aheadTo);
                assertEquals(length + 3, dst.position());
                assertArrayEquals(
                        Arrays.copyOfRange(content, (int) position, (int) position + length),
                        Arrays.copyOfRange(dst.array(), 3, 3 + length),
                        "read " + i + " of " + length + " at " + position + " ahead to " + aheadTo);
                position += length;
            }
            ByteBuffer past = ByteBuffer.allocate(1);
            assertThrows(CorruptShardException.class, () -> reads.readFully(past, size, size + 4096));
        } finally {
            Files.delete(file);
        }
    }

    @Property(tries = 40)
    void aLentWindowHoldsExactlyTheBytesAskedForAndGoesBackWhenReleased(
            @ForAll @IntRange(min = 1, max = 3_000_000) int size, @ForAll long seed) throws IOException {
        Assume.that(dir.directIo()); // only O_DIRECT reads lend their windows
        Random random = new Random(seed);
        byte[] content = new byte[size];
        random.nextBytes(content);
        Path file = Files.write(root.resolve("l" + seed), content);
        int inUse = ReadWindows.inUse();
        try (PositionalReads reads = PositionalReads.open(file, true)) {
            for (int i = 0; i < 8; i++) {
                int position = random.nextInt(size);
                int length = 1 + random.nextInt(Math.min(size - position, ReadWindows.SIZE - position % 4096));
                ByteBuf lent = reads.lend(position, length);
                assertEquals(inUse + 1, ReadWindows.inUse(), "one window out while lent");
                byte[] got = new byte[lent.readableBytes()];
                ByteBuf view = lent.retainedSlice(); // as a transport holds a chunk past its reader
                lent.release();
                view.readBytes(got);
                assertArrayEquals(
                        Arrays.copyOfRange(content, position, position + length), got, length + " at " + position);
                assertEquals(inUse + 1, ReadWindows.inUse(), "a view keeps it out");
                view.release();
                assertEquals(inUse, ReadWindows.inUse(), "back in the pool with its last reference");
            }
            assertThrows(CorruptShardException.class, () -> reads.lend(size, 1));
            assertEquals(inUse, ReadWindows.inUse(), "a failed read gives its window back");
        } finally {
            Files.delete(file);
        }
    }

    @Example
    void aReadOfAWholeFileChunkByChunkReadsAheadAndARangedOneDoesNot() throws IOException {
        Assume.that(dir.directIo()); // through the page cache the kernel reads ahead
        byte[] content = new byte[4 << 20];
        new Random(3).nextBytes(content);
        Path file = Files.write(root.resolve("whole"), content);
        try (PositionalReads whole = PositionalReads.open(file, true);
                PositionalReads ranged = PositionalReads.open(file, true)) {
            for (int at = 0; at < content.length; at += 262_144) {
                whole.readFully(ByteBuffer.allocate(262_144), at, content.length);
                ranged.readFully(ByteBuffer.allocate(262_144), at, at + 262_144);
            }
            assertEquals(4, whole.diskReads(), "4 MiB in 1 MiB windows");
            assertEquals(16, ranged.diskReads(), "one read per 256 KiB asked for, nothing more");
        } finally {
            Files.delete(file);
        }
    }

    @Example
    void readsAreRightWhenNoWindowIsFree() throws IOException {
        byte[] content = new byte[2_000_000];
        new Random(7).nextBytes(content);
        Path file = Files.write(root.resolve("busy"), content);
        List<ByteBuffer> taken = new ArrayList<>();
        try (PositionalReads reads = PositionalReads.open(file, dir.directIo())) {
            for (ByteBuffer w; (w = ReadWindows.tryTake()) != null; ) taken.add(w);
            for (int at = 0; at < content.length; at += 262_144) {
                int length = Math.min(262_144, content.length - at);
                ByteBuffer dst = ByteBuffer.allocate(length);
                reads.readFully(dst, at, content.length);
                assertArrayEquals(Arrays.copyOfRange(content, at, at + length), dst.array());
            }
        } finally {
            taken.forEach(ReadWindows::give);
            Files.delete(file);
        }
    }
}
