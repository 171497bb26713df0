package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.Tmpfs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pack files on a real file system: what was acknowledged reads back after a reopen, a torn tail, a SIGKILL. */
class PackLogTest {
    @TempDir
    Path tmp;

    /** The bytes a test stores under an id: derived from it, so a reader can check them knowing only the id. */
    static byte[] bytesOf(String id) {
        Random r = new Random(id.hashCode());
        byte[] b = new byte[r.nextInt(9000)];
        r.nextBytes(b);
        return b;
    }

    @Test
    void storedShardsReadBackAfterReopenAndDeletionsStay() throws Exception {
        Path dir = tmp.resolve("packs");
        try (PackLog packs = PackLog.open(dir)) {
            for (int i = 0; i < 100; i++) put(packs, "s" + i);
            for (int i = 0; i < 100; i += 3) packs.delete("s" + i, 1).join();
            put(packs, "s1"); // replaced: the newest record counts
        }
        try (PackLog packs = PackLog.open(dir)) {
            for (int i = 0; i < 100; i++) {
                var e = packs.find("s" + i);
                assertEquals(i % 3 != 0, e.isPresent(), "s" + i);
                if (e.isPresent()) assertArrayEquals(bytesOf("s" + i), packs.read(e.get()));
            }
            assertEquals(66, packs.shardIds().size());
        }
    }

    /**
     * A full disk refuses a batch, not the log: the refused record leaves no byte in the pack (a partial write is cut
     * back, or a later batch would leave whole refused records behind it for a reopen to read), and once there is room
     * the next records are taken, in packs of 32 KiB so that rolls are refused and retried too.
     */
    @Test
    void aFullDiskRefusesTheBatchAndTheLogTakesTheNextOnceThereIsRoom() throws Exception {
        Path fs = tmp.resolve("fs");
        Assumptions.assumeTrue(Tmpfs.mount(fs, "8m"), "mounting a tmpfs is not permitted here");
        try {
            Path dir = fs.resolve("packs");
            try (PackLog packs = PackLog.open(dir, 32 << 10)) {
                for (int i = 0; i < 20; i++) put(packs, "s" + i);
                Path filler = fs.resolve("filler");
                Tmpfs.fill(filler);
                long[] before = packSizes(dir);

                for (int i = 0; i < 5; i++) {
                    byte[] big = new byte[20_000 + i];
                    var refused = assertThrows(CompletionException.class, () -> putBytes(packs, "refused", big));
                    assertTrue(
                            DataDir.noSpace(refused.getCause()),
                            refused.getCause().toString());
                }
                assertTrue(packs.find("refused").isEmpty());
                assertArrayEquals(before, packSizes(dir), "a refused batch left bytes in a pack");

                Files.delete(filler);
                put(packs, "after");
                packs.delete("s0", 1).join();
            }
            try (PackLog packs = PackLog.open(dir, 32 << 10)) {
                Set<String> expected = new HashSet<>(Set.of("after"));
                for (int i = 1; i < 20; i++) expected.add("s" + i);
                assertEquals(expected, packs.shardIds());
                for (String id : expected)
                    assertArrayEquals(bytesOf(id), packs.read(packs.find(id).orElseThrow()), id);
            }
        } finally {
            Tmpfs.unmount(fs);
        }
    }

    private static long[] packSizes(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().mapToLong(f -> f.toFile().length()).toArray();
        }
    }

    @Test
    void packsRollAndTheNewestRecordWinsAcrossThem() throws Exception {
        Path dir = tmp.resolve("packs");
        try (PackLog packs = PackLog.open(dir, 32 << 10)) {
            for (int i = 0; i < 40; i++) put(packs, "s" + (i % 10));
            packs.delete("s9", 1).join();
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.count() > 3, "packs did not roll");
        }
        try (PackLog packs = PackLog.open(dir, 32 << 10)) {
            assertEquals(9, packs.shardIds().size());
            for (int i = 0; i < 9; i++)
                assertArrayEquals(
                        bytesOf("s" + i), packs.read(packs.find("s" + i).orElseThrow()));
        }
    }

    @Property(tries = 40)
    void aTornTailLosesOnlyTheRecordsItCuts(
            @ForAll @IntRange(min = 1, max = 30) int count, @ForAll @IntRange(min = 0, max = 1_000_000) int cutSeed)
            throws Exception {
        Path dir = Files.createTempDirectory("packlog-torn"); // jqwik properties get no @TempDir
        try {
            tornTail(dir, count, cutSeed);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    private static void tornTail(Path dir, int count, int cutSeed) throws Exception {
        List<Long> ends = new ArrayList<>();
        try (PackLog packs = PackLog.open(dir)) {
            for (int i = 0; i < count; i++) {
                var e = put(packs, "t" + i);
                ends.add(e.offset() + e.record().length());
            }
        }
        Path pack;
        try (Stream<Path> files = Files.list(dir)) {
            pack = files.findFirst().orElseThrow();
        }
        long cut = cutSeed % (Files.size(pack) + 1);
        try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.WRITE)) {
            ch.truncate(cut);
        }
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < count; i++) if (ends.get(i) <= cut) expected.add("t" + i);
        try (PackLog packs = PackLog.open(dir)) {
            assertEquals(expected, packs.shardIds());
            for (String id : expected)
                assertArrayEquals(bytesOf(id), packs.read(packs.find(id).orElseThrow()));
            put(packs, "after"); // appends where the good records end
        }
        try (PackLog packs = PackLog.open(dir)) {
            assertEquals(expected.size() + 1, packs.shardIds().size());
        }
    }

    @Test
    void rotInAShardsDataFailsThatShardAloneAndRotInAHeaderSkipsOnlyItsRecord() throws Exception {
        Path dir = tmp.resolve("packs");
        PackLog.Entry b, d;
        try (PackLog packs = PackLog.open(dir)) {
            put(packs, "a");
            b = putBytes(packs, "b", new byte[5000]);
            put(packs, "c");
            d = put(packs, "d");
            put(packs, "e");
        }
        Path pack;
        try (Stream<Path> files = Files.list(dir)) {
            pack = files.findFirst().orElseThrow();
        }
        ShardFailureTest.flipByte(pack, b.offset() + b.record().dataOffset() + 100); // b's data
        ShardFailureTest.flipByte(pack, d.offset() + 22); // d's header (chunk size)
        long size = Files.size(pack);
        try (PackLog packs = PackLog.open(dir)) {
            assertEquals(Set.of("a", "b", "c", "e"), packs.shardIds());
            assertThrows(
                    CorruptShardException.class,
                    () -> packs.read(packs.find("b").orElseThrow()));
            for (String id : List.of("a", "c", "e"))
                assertArrayEquals(bytesOf(id), packs.read(packs.find(id).orElseThrow()), id);
        }
        assertEquals(size, Files.size(pack), "rot is not a torn tail: nothing may be cut");
    }

    @Test
    void compactionReclaimsDeletedShardsAndNothingDeletedComesBack() throws Exception {
        Path dir = tmp.resolve("packs");
        long before;
        try (PackLog packs = PackLog.open(dir, 64 << 10)) {
            for (int i = 0; i < 200; i++) put(packs, "s" + i);
            before = packBytes(dir);
            for (int i = 0; i < 200; i++)
                if (i % 10 != 0) packs.delete("s" + i, 1).join();
            put(packs, "s10"); // a newer copy of a live shard, in the newest pack
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (packs.compactions() < 3 && System.nanoTime() < deadline) Thread.sleep(20);
            assertTrue(packs.compactions() >= 3, packs.compactions() + " compactions");
            Thread.sleep(500); // idle: the rest compacts too
            for (int i = 0; i < 200; i += 10)
                assertArrayEquals(
                        bytesOf("s" + i), packs.read(packs.find("s" + i).orElseThrow()));
        }
        assertTrue(packBytes(dir) < before / 2, packBytes(dir) + " bytes of packs left of " + before);
        try (PackLog packs = PackLog.open(dir, 64 << 10)) {
            Set<String> live = new HashSet<>();
            for (int i = 0; i < 200; i += 10) live.add("s" + i);
            assertEquals(live, packs.shardIds());
            for (String id : live)
                assertArrayEquals(bytesOf(id), packs.read(packs.find(id).orElseThrow()));
        }
    }

    @Test
    void anIdleCommitterSleepsUntilARecordOrCloseComes() throws Exception {
        Path dir = tmp.resolve("packs");
        PackLog packs = PackLog.open(dir, 64 << 10);
        Thread committer = committerOf(dir);
        for (int i = 0; i < 100; i++) put(packs, "s" + i);
        for (int i = 0; i < 100; i++) if (i % 10 != 0) packs.delete("s" + i, 1).join();
        // Compacts what the deletions freed, then waits without a timeout (it polled every 100 ms before).
        awaitState(committer, Thread.State.WAITING);
        assertTrue(packs.compactions() >= 1, packs.compactions() + " compactions");
        put(packs, "late"); // a record still wakes it and is committed
        assertArrayEquals(bytesOf("late"), packs.read(packs.find("late").orElseThrow()));
        awaitState(committer, Thread.State.WAITING);
        // Asleep in take(), the committer ends only if close() wakes it: close's join would otherwise give up alive.
        packs.close();
        assertTrue(!committer.isAlive(), "close woke and ended the committer");
    }

    private static Thread committerOf(Path dir) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("pack-commit " + dir))
                .findFirst()
                .orElseThrow();
    }

    private static void awaitState(Thread t, Thread.State state) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (t.getState() != state && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(state, t.getState(), "the committer's state");
    }

    @Test
    void aShardWhoseHeaderRotsAfterIndexingIsDroppedWhenItsPackIsCompacted() throws Exception {
        Path dir = tmp.resolve("packs");
        try (PackLog packs = PackLog.open(dir, 64 << 10)) {
            List<PackLog.Entry> first = new ArrayList<>();
            for (int i = 0; i < 60; i++) first.add(put(packs, "s" + i));
            PackLog.Entry rotted = first.get(3);
            long firstPack = rotted.pack();
            assertTrue(packs.find("s59").orElseThrow().pack() > firstPack, "the test needs several packs");
            ShardFailureTest.flipByte(PackLog.path(dir, firstPack), rotted.offset() + 2); // its magic
            for (PackLog.Entry e : first)
                if (e.pack() == firstPack && e != rotted)
                    packs.delete(e.record().shardId(), 1).join();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Files.exists(PackLog.path(dir, firstPack)) && System.nanoTime() < deadline) Thread.sleep(20);
            assertTrue(Files.notExists(PackLog.path(dir, firstPack)), "the first pack was compacted away");
            // missing now (its peers heal it), not an index entry pointing into a deleted pack
            assertTrue(packs.find(rotted.record().shardId()).isEmpty());
            assertArrayEquals(bytesOf("s59"), packs.read(packs.find("s59").orElseThrow()));
        }
    }

    private static long packBytes(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            long sum = 0;
            for (Path f : files.toList()) sum += Files.size(f);
            return sum;
        }
    }

    @Test
    void concurrentWritersShareFsyncs() throws Exception {
        Path dir = tmp.resolve("packs");
        int writers = 16, each = 100;
        long batches;
        try (PackLog packs = PackLog.open(dir)) {
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                all.add(CompletableFuture.runAsync(
                        () -> {
                            for (int i = 0; i < each; i++) put(packs, "w" + writer + "-" + i);
                        },
                        pool));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            pool.shutdown();
            batches = packs.batches();
        }
        assertTrue(batches < writers * each, batches + " batches for " + writers * each + " records");
        try (PackLog packs = PackLog.open(dir)) {
            assertEquals(writers * each, packs.shardIds().size());
        }
    }

    @Test
    void everyAcknowledgedShardSurvivesASigkillMidBatch() throws Exception {
        Path dir = tmp.resolve("packs");
        Process child = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "-cp",
                        System.getProperty("java.class.path"),
                        PackLogTest.class.getName() + "$Writer",
                        dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        List<String> acked = new ArrayList<>();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (acked.size() < 2000 && (line = out.readLine()) != null) acked.add(line);
            child.destroyForcibly(); // SIGKILL while its writers keep batches in flight
            child.waitFor();
        }
        assertEquals(2000, acked.size(), "the writer stopped early");
        try (PackLog packs = PackLog.open(dir)) {
            for (String id : acked)
                assertArrayEquals(bytesOf(id), packs.read(packs.find(id).orElseThrow()), id);
        }
    }

    /** Child process: 8 threads storing shards until killed, printing each id once it is acknowledged. */
    public static final class Writer {
        public static void main(String[] args) throws Exception {
            PackLog packs = PackLog.open(Path.of(args[0]));
            for (int w = 0; w < 8; w++) {
                int writer = w;
                Thread.ofPlatform().start(() -> {
                    for (int i = 0; ; i++) {
                        String id = "k" + writer + "-" + i;
                        put(packs, id);
                        synchronized (System.out) {
                            System.out.println(id);
                            System.out.flush();
                        }
                    }
                });
            }
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    static PackLog.Entry put(PackLog packs, String id) {
        return putBytes(packs, id, bytesOf(id));
    }

    static PackLog.Entry putBytes(PackLog packs, String id, byte[] data) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(data);
        return packs.put(id, 1 << 20, ByteBuffer.wrap(data), (int) crc.getValue(), System.currentTimeMillis())
                .join();
    }
}
