package io.basalt.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CPU seconds per GB that writing shard files costs the writing threads, through the page cache and with
 * O_DIRECT (as storage nodes write since shard format 2): six threads, as six nodes, each writing 4 MiB files
 * of 256 KiB writes from a ring of source buffers larger than the CPU's caches, fsyncing each file and keeping
 * it, as a node keeps its shards. Through the page cache the kernel copies every byte into a page it must first
 * find free; once the page cache fills the machine's memory (any storage server after a while) that means
 * reclaiming one, and the figure grows with it, so the report names the free memory at the start.
 */
final class ShardWriteCost {
    private static final int WRITERS = 6;
    private static final int WRITE = 256 << 10;
    private static final int FILE = 4 << 20;
    private static final int BLOCK = 4096;
    private static final int READ = 1 << 20; // a node's read-ahead window

    private ShardWriteCost() {}

    /** CPU seconds per GB written, and per GB read back with O_DIRECT (NaN through the page cache). */
    record Cost(double write, double read) {}

    /**
     * CPU seconds per GB of the writing threads; {@code direct} opens the files with O_DIRECT and then reads them
     * back with O_DIRECT in 1 MiB reads, as a node's read stream does, each writer its own files.
     */
    static Cost cpuPerGb(Path dir, long totalBytes, boolean direct) throws Exception {
        Path root = Files.createDirectories(dir.resolve(direct ? "bench-shards-direct" : "bench-shards-paged"));
        OpenOption[] options = direct
                ? new OpenOption[] {
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT
                }
                : new OpenOption[] {StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE};
        long filesPerWriter = Math.max(1, totalBytes / FILE / WRITERS);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        AtomicLong cpuNanos = new AtomicLong();
        AtomicLong readNanos = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        List<CompletableFuture<Void>> all = new ArrayList<>();
        try {
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                all.add(CompletableFuture.runAsync(
                        () -> {
                            ByteBuffer[] ring = sources(writer);
                            ByteBuffer aligned =
                                    ByteBuffer.allocateDirect(WRITE + BLOCK).alignedSlice(BLOCK);
                            long start = threads.getCurrentThreadCpuTime();
                            int next = 0;
                            try {
                                for (long f = 0; f < filesPerWriter; f++) {
                                    Path file = root.resolve(writer + "-" + f);
                                    try (FileChannel ch = FileChannel.open(file, options)) {
                                        for (int off = 0; off < FILE; off += WRITE) {
                                            ByteBuffer src = ring[next++ % ring.length].duplicate();
                                            ByteBuffer out = src;
                                            if (direct) { // as a node does: copied into an aligned buffer first
                                                aligned.clear().limit(WRITE);
                                                aligned.put(src).flip();
                                                out = aligned;
                                            }
                                            while (out.hasRemaining()) ch.write(out);
                                        }
                                        ch.force(true);
                                    }
                                }
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                            cpuNanos.addAndGet(threads.getCurrentThreadCpuTime() - start);
                            if (direct) readNanos.addAndGet(readBack(root, writer, filesPerWriter));
                        },
                        pool));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        } finally {
            pool.shutdownNow();
            try (var files = Files.list(root)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(root);
        }
        double gb = (double) filesPerWriter * WRITERS * FILE / 1e9;
        return new Cost(cpuNanos.get() / 1e9 / gb, direct ? readNanos.get() / 1e9 / gb : Double.NaN);
    }

    /** This thread's CPU nanoseconds for reading a writer's files back with O_DIRECT, 1 MiB at a time. */
    private static long readBack(Path root, int writer, long files) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ByteBuffer window = ByteBuffer.allocateDirect(READ + BLOCK).alignedSlice(BLOCK);
        long start = threads.getCurrentThreadCpuTime();
        try {
            for (long f = 0; f < files; f++) {
                try (FileChannel ch = FileChannel.open(
                        root.resolve(writer + "-" + f),
                        StandardOpenOption.READ,
                        com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
                    long pos = 0;
                    int n;
                    while ((n = ch.read(window.clear().limit(READ), pos)) > 0) pos += n;
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return threads.getCurrentThreadCpuTime() - start;
    }

    /** Whether {@code dir}'s file system takes O_DIRECT. */
    static boolean directIoWorks(Path dir) {
        Path probe = dir.resolve("bench-direct-probe");
        try (FileChannel ch = FileChannel.open(
                probe,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            ch.write(ByteBuffer.allocateDirect(2 * BLOCK).alignedSlice(BLOCK));
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException e) {
                // left for the next run
            }
        }
    }

    /** MemFree and MemTotal from /proc/meminfo, in GiB, as "free F of T GiB". */
    static String freeMemory() {
        try {
            long free = 0, total = 0;
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                String[] f = line.split("\\s+");
                if (f[0].equals("MemFree:")) free = Long.parseLong(f[1]);
                if (f[0].equals("MemTotal:")) total = Long.parseLong(f[1]);
            }
            return String.format("memory free at the start %.1f of %.1f GiB", free / 1048576.0, total / 1048576.0);
        } catch (IOException | RuntimeException e) {
            return "free memory unknown";
        }
    }

    private static ByteBuffer[] sources(int writer) {
        ByteBuffer[] ring = new ByteBuffer[64]; // 16 MiB per writer: beyond the caches, as received data is
        byte[] bytes = new byte[WRITE];
        SplittableRandom rnd = new SplittableRandom(writer);
        for (int i = 0; i < ring.length; i++) {
            rnd.nextBytes(bytes);
            ring[i] = ByteBuffer.allocateDirect(WRITE).put(bytes).flip();
        }
        return ring;
    }
}
