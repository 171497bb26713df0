package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storage node loses power in the middle of group-committed batches, twice: once on a fresh
 * disk, once on the disk the first cut left (so a pack with a torn tail is appended to). After
 * each cut every acknowledged shard reads back byte-exact, every acknowledged deletion stays,
 * whatever else the node lists (writes in flight at the cut) reads back whole, and the scrub finds
 * nothing corrupt. Shards of one small chunk go to pack files, larger ones to files of their own,
 * so both ways a node commits are cut. The cut is {@link LoopDisk}'s: what the kernel had not sent
 * to the device is lost, as a file written without fsync just before proves.
 */
class PowerCutTest {
    private static final int CHUNK = 256 << 10;
    private static final int WRITERS = 8;

    @TempDir
    Path tmp;

    /** What the writers did before a cut: ids are never reused, so each names its bytes. */
    static final class Outcome {
        final Set<String> attempted = ConcurrentHashMap.newKeySet();
        final Set<String> acked = ConcurrentHashMap.newKeySet();
        final Set<String> deleting = ConcurrentHashMap.newKeySet();
        final Set<String> deleted = ConcurrentHashMap.newKeySet();
        /** A file written without fsync just before the cut: the cut must lose it. */
        byte[] canary;
    }

    /** Bytes derived from the id: mostly small (packed), some of one large chunk or several (files). */
    static byte[] bytesOf(String id) {
        Random r = new Random(id.hashCode());
        int size = switch (r.nextInt(8)) {
            case 0 -> 2 * CHUNK + r.nextInt(200_000); // three chunks
            case 1 -> (130 << 10) + r.nextInt(100_000); // one chunk above the pack limit
            default -> r.nextInt(64 << 10);
        };
        byte[] b = new byte[size];
        r.nextBytes(b);
        return b;
    }

    @Test
    void acknowledgedShardsAndDeletionsSurviveTwoPowerCutsAndNothingHalfWrittenIsVisible() throws Exception {
        Outcome total = new Outcome();
        LoopDisk disk = LoopDisk.format(tmp.resolve("disk-0.img"), 512L << 20, tmp.resolve("mnt-0"));
        for (int round = 1; round <= 2; round++) {
            Path copy = tmp.resolve("disk-" + round + ".img");
            Outcome outcome = writeUntilCut(disk, copy, "r" + round);
            total.attempted.addAll(outcome.attempted);
            total.acked.addAll(outcome.acked);
            total.deleting.addAll(outcome.deleting);
            total.deleted.addAll(outcome.deleted);
            disk.close();
            disk = LoopDisk.mount(copy, tmp.resolve("mnt-" + round));
            try {
                verify(disk.mount.resolve("node"), total, "after cut " + round);
                Path leftOfCanary = disk.mount.resolve("canary-r" + round);
                assertFalse(
                        Files.exists(leftOfCanary) && Arrays.equals(outcome.canary, Files.readAllBytes(leftOfCanary)),
                        "a file written without fsync just before the cut survived it whole: the cut is not real");
            } catch (Throwable t) {
                try {
                    disk.close();
                } catch (Exception e) {
                    t.addSuppressed(e);
                }
                throw t;
            }
        }
        disk.close();
    }

    /**
     * Starts a node on {@code disk} in a process of its own, writes and deletes from {@value
     * #WRITERS} threads until enough was acknowledged, then cuts the power, leaving the image in
     * {@code copy}.
     */
    private Outcome writeUntilCut(LoopDisk disk, Path copy, String prefix) throws Exception {
        Path dir = disk.mount.resolve("node");
        Process node = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "-cp",
                        System.getProperty("java.class.path"),
                        Node.class.getName(),
                        dir.toString())
                .redirectError(tmp.resolve("node-" + prefix + ".log").toFile())
                .start();
        Outcome outcome = new Outcome();
        List<Thread> writers = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        try (var out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
            String ready = out.readLine();
            assertTrue(ready != null && ready.startsWith("port "), "the node did not start: " + ready);
            try (ShardClient client = new ShardClient(Integer.parseInt(ready.substring(5)))) {
                for (int w = 0; w < WRITERS; w++) {
                    String writer = prefix + "w" + w + "n";
                    writers.add(Thread.ofPlatform().start(() -> {
                        try {
                            writeAndDelete(client, writer, outcome, stop);
                        } catch (Throwable t) {
                            if (!stop.get()) unexpected.set(t);
                        }
                    }));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while ((outcome.acked.size() < 600 || outcome.deleted.size() < 60)
                        && unexpected.get() == null
                        && System.nanoTime() < deadline) Thread.sleep(20);
                if (unexpected.get() != null)
                    throw new AssertionError("a write failed before the cut", unexpected.get());
                assertTrue(outcome.acked.size() >= 600, "only " + outcome.acked.size() + " writes in 120 s");
                outcome.canary = new byte[1 << 20];
                new Random().nextBytes(outcome.canary);
                Files.write(disk.mount.resolve("canary-" + prefix), outcome.canary); // no fsync
                stop.set(true); // set first: the writers' failures from here on are the cut's
                disk.cut(node, copy);
                for (Thread t : writers) t.join(TimeUnit.SECONDS.toMillis(60));
            }
        } finally {
            node.destroyForcibly();
        }
        return outcome;
    }

    /** Writes fresh ids; every fifth write also deletes an acknowledged one from three writes before. */
    private static void writeAndDelete(ShardClient client, String writer, Outcome outcome, AtomicBoolean stop) {
        List<String> mine = new ArrayList<>();
        for (int i = 0; !stop.get(); i++) {
            String id = writer + i + "." + (i % 6);
            outcome.attempted.add(id);
            client.write(id, bytesOf(id), CHUNK);
            outcome.acked.add(id);
            mine.add(id);
            if (i % 5 == 4 && outcome.acked.contains(mine.get(i - 3))) {
                String gone = mine.get(i - 3);
                outcome.deleting.add(gone);
                if (client.delete(gone)) outcome.deleted.add(gone);
            }
        }
    }

    /** Starts a node in this JVM on what the cut left and checks every promise. */
    private static void verify(Path dir, Outcome total, String when) throws Exception {
        try (StorageNode node = StorageNode.start(
                        StorageNodeConfig.local("pc", List.of(dir)).withPackSmallShards(true));
                ShardClient client = new ShardClient(node.port())) {
            // kept: acknowledged and no deletion of it started (one in flight at the cut may or may not have happened)
            Set<String> kept = new HashSet<>(total.acked);
            kept.removeAll(total.deleting);
            for (String id : kept) assertArrayEquals(bytesOf(id), client.read(id, 0, 0), when + ": " + id);
            for (String id : total.deleted)
                assertEquals(
                        Status.Code.NOT_FOUND,
                        ShardServiceTest.code(() -> client.stat(id)),
                        when + ": deleted " + id + " is back");
            List<String> listed = client.list("", "", 0);
            for (String id : listed) {
                assertTrue(total.attempted.contains(id), when + ": a shard nobody wrote: " + id);
                // whatever else is there (a write or a deletion in flight at the cut) is whole
                if (!kept.contains(id))
                    assertArrayEquals(bytesOf(id), client.read(id, 0, 0), when + ": in flight at the cut: " + id);
            }
            assertTrue(listed.containsAll(kept), when + ": acknowledged shards missing from the listing");
            Scrubber.PassReport scrub = node.scrubber().runPass();
            assertEquals(0, scrub.corrupt(), when + ": the scrub found damage");
            assertEquals(listed.size(), scrub.files(), when + ": the scrub did not see every listed shard");
        }
    }

    /** Child process: a storage node on the dir given, packs on; prints its port, runs until killed. */
    public static final class Node {
        public static void main(String[] args) throws Exception {
            StorageNode node = StorageNode.start(
                    StorageNodeConfig.local("pc", List.of(Path.of(args[0]))).withPackSmallShards(true));
            System.out.println("port " + node.port());
            System.out.flush();
            node.awaitTermination();
        }
    }
}
