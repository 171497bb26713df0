package io.basalt.coordinator;

import static io.basalt.coordinator.LeaderElectionTest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.basalt.core.cluster.Membership;
import io.basalt.core.data.DataPath;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.meta.MetadataStore.PutOutcome;
import io.basalt.core.shard.ShardClients;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.options.GetOption;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GC running flat out (no grace period) while writers keep overwriting and deleting: no shard of
 * a committed object is ever removed, and once the writers stop every orphan is gone, so the
 * shard files on disk are exactly those the object records reference.
 */
class GcRaceTest {

    static final Keys KEYS = LocalCluster.KEYS;
    static final ErasureLayout LAYOUT =
            ErasureLayout.newBuilder().setK(4).setM(2).setBlockSize(64 << 10).build();

    @TempDir
    Path tmp;

    LocalCluster local;
    EtcdProcess etcd;
    EtcdMetadataStore meta;
    Membership membership;
    ShardClients clients;
    Coordinator coordinator;

    @BeforeEach
    void start() throws Exception {
        local = LocalCluster.start(tmp, 6);
        etcd = local.etcd;
        meta = local.meta;
        membership = local.membership;
        clients = local.clients;
        coordinator = Coordinator.start(new Coordinator.Config(
                "c1", List.of(etcd.endpoint()), KEYS.root(), Duration.ZERO, Duration.ofMillis(50), 3));
    }

    @AfterEach
    void stop() {
        if (coordinator != null) coordinator.close();
        if (local != null) local.close();
    }

    @Test
    void gcNeverRemovesCommittedShardsAndLeavesNoOrphans() throws Exception {
        DataPath data = new DataPath(membership, clients, LAYOUT, 0, 10_000);
        Map<String, byte[]> latest = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            writers.add(pool.submit(() -> {
                Random r = new Random(thread);
                for (int i = 0; i < 60; i++) {
                    String key = "t" + thread + "-k" + r.nextInt(4); // each writer owns its keys
                    if (r.nextInt(5) == 0) {
                        meta.deleteObject("b", key);
                        latest.remove(key);
                        continue;
                    }
                    byte[] body = new byte[r.nextInt(300_000)];
                    r.nextBytes(body);
                    Segment seg = data.write(new ByteArrayInputStream(body));
                    ObjectRecord rec = ObjectRecord.newBuilder()
                            .setVersionId(seg.getShardSet())
                            .setSize(body.length)
                            .setEtag(seg.getMd5Hex())
                            .addSegments(seg)
                            .build();
                    assertEquals(PutOutcome.COMMITTED, meta.putObject("b", key, rec, PutCondition.NONE));
                    latest.put(key, body);
                    // Read it straight back while GC deletes the versions it replaced.
                    assertArrayEquals(body, read(data, key), key);
                }
                return null;
            }));
        }
        for (Future<?> f : writers) f.get();
        pool.shutdown();

        awaitTrue(this::garbageQueueEmpty, "GC drained its queue");
        for (Map.Entry<String, byte[]> e : latest.entrySet())
            assertArrayEquals(e.getValue(), read(data, e.getKey()), e.getKey());

        Set<String> referenced = new TreeSet<>();
        for (var o : meta.scanObjects("b", "", true, null, 0)) {
            for (Segment s : o.record().getSegmentsList()) {
                for (int i = 0; i < s.getNodeIdsCount(); i++)
                    if (s.getSize() > 0) referenced.add(s.getNodeIds(i) + "/" + s.getShardSet() + "." + i);
            }
        }
        assertEquals(referenced, shardFilesOnDisk(), "shard files on the nodes are exactly the referenced ones");
    }

    private byte[] read(DataPath data, String key) throws Exception {
        ObjectRecord rec = meta.getObject("b", key).orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        data.read(rec, 0, rec.getSize(), out, (s, i) -> {});
        return out.toByteArray();
    }

    private boolean garbageQueueEmpty() {
        try {
            return meta.client()
                            .getKVClient()
                            .get(
                                    ByteSequence.from(KEYS.garbagePrefix(), StandardCharsets.UTF_8),
                                    GetOption.builder()
                                            .isPrefix(true)
                                            .withCountOnly(true)
                                            .build())
                            .get()
                            .getCount()
                    == 0;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Set<String> shardFilesOnDisk() {
        Set<String> out = new TreeSet<>();
        for (int i = 0; i < 6; i++) {
            for (String id : StoredShards.ids(tmp.resolve("node-" + i))) out.add("node-" + i + "/" + id);
        }
        return out;
    }
}
