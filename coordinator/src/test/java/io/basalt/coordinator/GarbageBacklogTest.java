package io.basalt.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.data.DataPath;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.meta.MetadataStore.PutOutcome;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.options.GetOption;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backlog of garbage over six real nodes, collected in one pass: every shard of a deleted or
 * overwritten object is gone from disk, every live object's shards stay, and the queue is empty.
 * The pass time is logged (GC collects records in parallel), never asserted.
 */
class GarbageBacklogTest {

    private static final Logger log = LogManager.getLogger(GarbageBacklogTest.class);
    private static final ErasureLayout LAYOUT =
            ErasureLayout.newBuilder().setK(4).setM(2).setBlockSize(64 << 10).build();

    @TempDir
    Path tmp;

    LocalCluster local;
    DataPath data;

    @BeforeEach
    void start() throws Exception {
        local = LocalCluster.start(tmp, 6);
        data = new DataPath(local.membership, local.clients, LAYOUT, 0, 10_000);
    }

    @AfterEach
    void stop() {
        if (local != null) local.close();
    }

    @Test
    void onePassCollectsEveryQueuedShardAndNothingReferenced() throws Exception {
        Random rnd = new Random(7);
        Set<String> kept = new TreeSet<>();
        for (int i = 0; i < 240; i++) {
            String key = "k" + i;
            put(key, rnd, 1 + rnd.nextInt(20_000));
            switch (i % 3) {
                case 0 -> local.meta.deleteObject("b", key); // queued as "deleted"
                case 1 -> kept.addAll(shardIds(put(key, rnd, 1 + rnd.nextInt(20_000)))); // first version "overwritten"
                default ->
                    kept.addAll(shardIds(
                            local.meta.getObject("b", key).orElseThrow().getSegments(0)));
            }
        }
        assertEquals(160, queued(), "one garbage record per delete and per overwrite");
        assertTrue(allShardFiles().size() > kept.size());

        GarbageCollector gc = new GarbageCollector(
                local.metadata.garbage(), local.membership, local.clients, Duration.ZERO, Duration.ofHours(1));
        long start = System.nanoTime();
        int removed = gc.runOnce();
        log.info(
                "gc: {} records ({} shard ids) in {} ms",
                removed,
                removed * 6,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));

        assertEquals(160, removed);
        assertEquals(0, queued());
        assertEquals(kept, allShardFiles(), "exactly the live objects' shards remain on the nodes");
    }

    private Segment put(String key, Random rnd, int size) throws IOException {
        byte[] body = new byte[size];
        rnd.nextBytes(body);
        Segment seg = data.write(new ByteArrayInputStream(body));
        ObjectRecord rec = ObjectRecord.newBuilder()
                .setVersionId(seg.getShardSet())
                .setSize(size)
                .setEtag(seg.getMd5Hex())
                .addSegments(seg)
                .build();
        assertEquals(PutOutcome.COMMITTED, local.meta.putObject("b", key, rec, PutCondition.NONE));
        return seg;
    }

    private static Set<String> shardIds(Segment s) {
        Set<String> out = new TreeSet<>();
        for (int i = 0; i < s.getNodeIdsCount(); i++) out.add(s.getNodeIds(i) + "/" + s.getShardSet() + "." + i);
        return out;
    }

    private long queued() throws Exception {
        ByteSequence prefix = ByteSequence.from(LocalCluster.KEYS.garbagePrefix(), StandardCharsets.UTF_8);
        return local.meta
                .client()
                .getKVClient()
                .get(
                        prefix,
                        GetOption.builder().isPrefix(true).withCountOnly(true).build())
                .get(10, TimeUnit.SECONDS)
                .getCount();
    }

    /** "node-i/shard-id" for every shard file on every node. */
    private Set<String> allShardFiles() {
        Set<String> out = new TreeSet<>();
        for (int i = 0; i < local.nodes.size(); i++) {
            for (String id : StoredShards.ids(local.nodeDir(i))) out.add("node-" + i + "/" + id);
        }
        return out;
    }
}
