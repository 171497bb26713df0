package io.basalt.storage;

import static io.basalt.storage.ShardServiceTest.randomBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.Keys;
import io.basalt.proto.meta.HealRecord;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scrub passes over real shard files on two data dirs, reporting into a real etcd. */
class ScrubberTest {
    private static final int CHUNK = 1000;
    private static final Keys KEYS = Keys.defaults();

    @TempDir
    Path tmp;

    EtcdProcess etcd;
    StorageNode node;
    ShardClient client;
    Client etcdClient;

    @BeforeEach
    void start() throws Exception {
        etcd = EtcdProcess.start(tmp.resolve("etcd"));
        // background passes off: the test runs them itself
        node = StorageNode.start(new StorageNodeConfig(
                "n1",
                "127.0.0.1",
                0,
                List.of(tmp.resolve("d1"), tmp.resolve("d2")),
                etcd.endpoint(),
                KEYS.root(),
                Duration.ofSeconds(5),
                Scrubber.Config.DISABLED));
        client = new ShardClient(node.port());
        etcdClient = Client.builder().endpoints(etcd.endpoint()).build();
    }

    @AfterEach
    void stop() {
        if (client != null) client.close();
        if (node != null) node.close();
        if (etcdClient != null) etcdClient.close();
        if (etcd != null) etcd.close();
    }

    @Test
    void cleanShardsPassAndEveryByteIsCounted() throws Exception {
        for (int i = 0; i < 6; i++) client.write("set" + i + "." + (i % 3), randomBytes(2500 + i, i), CHUNK);
        Scrubber.PassReport report = node.scrubber().runPass();
        assertEquals(6, report.files());
        assertEquals(6 * 2500 + 15, report.bytes());
        assertEquals(0, report.corrupt());
        assertTrue(healRecords().isEmpty());
    }

    @Test
    void corruptChunksAndHeadersAreQueuedForHealingByShardSet() throws Exception {
        client.write("aaaa.0", randomBytes(3500, 1), CHUNK);
        client.write("aaaa.4", randomBytes(3500, 2), CHUNK);
        client.write("bbbb.2", randomBytes(3500, 3), CHUNK);
        client.write("cccc.1", randomBytes(3500, 4), CHUNK);
        ShardFailureTest.flipByte(shardFile("aaaa.4"), ShardFailureTest.dataByte(2, 10, CHUNK)); // chunk 2
        ShardFailureTest.flipByte(shardFile("aaaa.0"), ShardFailureTest.dataByte(0, 5, CHUNK)); // chunk 0
        ShardFailureTest.flipByte(shardFile("bbbb.2"), 9); // header: chunk size

        Scrubber.PassReport report = node.scrubber().runPass();
        assertEquals(4, report.files());
        assertEquals(3, report.corrupt());

        List<HealRecord> heal = healRecords();
        assertEquals(2, heal.size());
        HealRecord a = heal.get(0);
        assertEquals("aaaa", a.getShardSet());
        assertEquals(
                List.of(0, 4), a.getShardsList().stream().sorted().toList(), "both reports merged into one record");
        assertEquals("", a.getBucket());
        assertEquals("", a.getKey());
        assertTrue(
                a.getReason().startsWith("scrub found corrupt chunk ")
                        && a.getReason().endsWith(" on n1"),
                a.getReason());
        HealRecord b = heal.get(1);
        assertEquals("bbbb", b.getShardSet());
        assertEquals(List.of(2), b.getShardsList());
        assertEquals("scrub found corrupt header on n1", b.getReason());

        // A second pass finds the same rot and leaves the records as they are.
        assertEquals(3, node.scrubber().runPass().corrupt());
        assertEquals(heal, healRecords());
    }

    @Test
    void aRestartStartsNoPassWhileTheRecordedOneStillCovers() throws Exception {
        client.write("dddd.0", randomBytes(3000, 5), CHUNK);
        client.write("eeee.1", randomBytes(3000, 6), CHUNK);
        assertEquals(2, node.scrubber().runPass().files()); // recorded in both dirs
        restartWith(SOON);
        Thread.sleep(1500);
        assertNull(node.scrubber().lastPass(), "a pass started though the last one is minutes old");

        // Without the records (dirs from before them) the shards are due: a pass after the initial delay.
        try (Stream<Path> records = Files.list(tmp)) {
            for (Path d : records.toList()) Files.deleteIfExists(d.resolve(ScrubSchedule.FILE));
        }
        restartWith(SOON);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (node.scrubber().lastPass() == null && System.nanoTime() < deadline) Thread.sleep(50);
        assertNotNull(node.scrubber().lastPass(), "no pass over shards never scrubbed");
        assertEquals(2, node.scrubber().lastPass().files());
    }

    @Test
    void newEmptyDirsCountAsScrubbedAtStart() throws Exception {
        long before = System.currentTimeMillis();
        restartWith(SOON, tmp.resolve("new1"), tmp.resolve("new2"));
        long started = System.currentTimeMillis();
        Thread.sleep(1500);
        assertNull(node.scrubber().lastPass(), "a pass over empty dirs");
        for (String d : List.of("new1", "new2")) {
            // recorded as scrubbed by the start itself: between the moments before and after it
            long recorded = Long.parseLong(Files.readString(tmp.resolve(d).resolve(ScrubSchedule.FILE)));
            assertTrue(
                    recorded >= before && recorded <= started,
                    d + ": " + recorded + " not in " + before + ".." + started);
        }
    }

    /** Passes on, the first due 200 ms after start if anything is due at all. */
    private static final Scrubber.Config SOON = new Scrubber.Config(
            io.basalt.core.throttle.ByteRateLimiter.mbPerSecond(50), Duration.ofHours(24), Duration.ofMillis(200));

    private void restartWith(Scrubber.Config scrub, Path... dirs) throws Exception {
        client.close();
        node.close();
        node = StorageNode.start(new StorageNodeConfig(
                "n1",
                "127.0.0.1",
                0,
                dirs.length == 0 ? List.of(tmp.resolve("d1"), tmp.resolve("d2")) : List.of(dirs),
                etcd.endpoint(),
                KEYS.root(),
                Duration.ofSeconds(5),
                scrub));
        client = new ShardClient(node.port());
    }

    private List<HealRecord> healRecords() throws Exception {
        List<KeyValue> kvs = etcdClient
                .getKVClient()
                .get(
                        ByteSequence.from(KEYS.healPrefix(), StandardCharsets.UTF_8),
                        GetOption.builder().isPrefix(true).build())
                .get()
                .getKvs();
        List<HealRecord> out = new java.util.ArrayList<>();
        for (KeyValue kv : kvs) out.add(HealRecord.parseFrom(kv.getValue().getBytes()));
        return out;
    }

    private Path shardFile(String id) throws Exception {
        try (Stream<Path> s = Files.walk(tmp)) {
            return s.filter(p -> p.getFileName().toString().equals(id)
                            && p.toString().contains("shards"))
                    .findFirst()
                    .orElseThrow();
        }
    }
}
