package io.basalt.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * How many durable 4 KiB shard commits a second this disk allows, two ways, each with 1 and 16
 * writers: as a storage node commits a shard today (a temp file written and fsynced, renamed into
 * one of 256 fan-out dirs, that dir fsynced), and appended to one shared file that a single thread
 * writes and fdatasyncs once for every record waiting (group commit, the pack-file design issue 12
 * names). Both acknowledge a record only once it is on disk. The ratio is what a pack file could
 * buy small PUTs before any other cost; the kernel's own journal already merges concurrent fsyncs,
 * so this measures rather than assumes it.
 */
final class SmallCommits {
    static final int RECORD = 4096;

    private SmallCommits() {}

    /** Files committed per second by {@code writers} threads over {@code seconds}. */
    static double perFile(Path dir, int writers, double seconds) throws Exception {
        Path root = Files.createDirectories(dir.resolve("bench-small-files"));
        Path tmp = Files.createDirectories(root.resolve("tmp"));
        for (int i = 0; i < 256; i++) Files.createDirectories(root.resolve(String.format("%02x", i)));
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<CompletableFuture<Void>> all = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            all.add(CompletableFuture.runAsync(
                    () -> {
                        ByteBuffer data = ByteBuffer.allocateDirect(RECORD);
                        for (long n = 0; System.nanoTime() < end; n++) {
                            String name = writer + "-" + n;
                            Path t = tmp.resolve(name);
                            Path fanOut = root.resolve(String.format("%02x", (name.hashCode() & 0xff)));
                            try (FileChannel ch =
                                    FileChannel.open(t, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                                ch.write(data.clear());
                                ch.force(true);
                                Files.move(t, fanOut.resolve(name), StandardCopyOption.ATOMIC_MOVE);
                                try (FileChannel d = FileChannel.open(fanOut, StandardOpenOption.READ)) {
                                    d.force(true);
                                }
                            } catch (IOException e) {
                                throw new RuntimeException(e);
                            }
                            done.incrementAndGet();
                        }
                    },
                    pool));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        double rate = done.get() / ((System.nanoTime() - t0) / 1e9);
        pool.shutdown();
        delete(root);
        return rate;
    }

    /** Records appended and group-committed per second by {@code writers} threads over {@code seconds}. */
    static double groupCommit(Path dir, int writers, double seconds) throws Exception {
        Path file = dir.resolve("bench-small-pack");
        LinkedBlockingQueue<CompletableFuture<Void>> waiting = new LinkedBlockingQueue<>();
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        try (FileChannel pack = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            Thread committer = Thread.ofPlatform().name("bench-committer").start(() -> {
                ByteBuffer batch = ByteBuffer.allocateDirect(RECORD * 64);
                List<CompletableFuture<Void>> group = new ArrayList<>();
                try {
                    while (true) {
                        CompletableFuture<Void> first = waiting.poll(100, TimeUnit.MILLISECONDS);
                        if (first == null) {
                            if (System.nanoTime() > end) return;
                            continue;
                        }
                        group.add(first);
                        waiting.drainTo(group, 63);
                        batch.clear().limit(group.size() * RECORD);
                        while (batch.hasRemaining()) pack.write(batch);
                        pack.force(false);
                        group.forEach(f -> f.complete(null));
                        group.clear();
                    }
                } catch (IOException | InterruptedException e) {
                    group.forEach(f -> f.completeExceptionally(e));
                }
            });
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            List<CompletableFuture<Void>> all = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int w = 0; w < writers; w++) {
                all.add(CompletableFuture.runAsync(
                        () -> {
                            while (System.nanoTime() < end) {
                                CompletableFuture<Void> durable = new CompletableFuture<>();
                                waiting.add(durable);
                                durable.join();
                                done.incrementAndGet();
                            }
                        },
                        pool));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            double rate = done.get() / ((System.nanoTime() - t0) / 1e9);
            pool.shutdown();
            committer.join();
            return rate;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void delete(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
