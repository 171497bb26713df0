package io.basalt.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.meta.MetadataStore.UploadState;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The GC decision rests on one invariant of the metadata transactions: a shard set is in a
 * garbage record only once nothing references it, and every shard set ever written ends up
 * either referenced or garbage (never leaked, never both). Random sequences of PUT, DELETE and
 * multipart operations against a real etcd check it.
 */
class GarbageAccountingProperties {

    static EtcdProcess etcd;
    static final AtomicInteger run = new AtomicInteger();

    @BeforeContainer
    static void startEtcd() throws Exception {
        etcd = EtcdProcess.start();
    }

    @AfterContainer
    static void stopEtcd() {
        if (etcd != null) etcd.close();
    }

    enum Kind {
        PUT,
        DELETE,
        CREATE_UPLOAD,
        PUT_PART,
        COMPLETE,
        ABORT
    }

    record Step(Kind kind, int key, int part, int pick) {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Arbitraries.of(Kind.class)
                .flatMap(k -> Arbitraries.integers()
                        .between(0, 3)
                        .flatMap(key -> Arbitraries.integers()
                                .between(1, 3)
                                .flatMap(part -> Arbitraries.integers()
                                        .between(0, 7)
                                        .map(pick -> new Step(k, key, part, pick)))));
        return step.list().ofMinSize(1).ofMaxSize(25);
    }

    @Property(tries = 40)
    void everyShardSetIsReferencedOrGarbageNeverBoth(@ForAll("steps") List<Step> steps) throws Exception {
        Keys keys = new Keys("/gc-prop-" + run.incrementAndGet() + "/");
        try (EtcdMetadataStore meta = EtcdMetadataStore.connect(List.of(etcd.endpoint()), keys)) {
            meta.createBucket(BucketRecord.newBuilder().setName("b").build());
            Set<String> written = new HashSet<>();
            List<UploadRecord> uploads = new ArrayList<>(); // as created: completed and aborted ones stay
            int[] next = {0};
            for (Step s : steps) {
                String key = "k" + s.key();
                switch (s.kind()) {
                    case PUT -> {
                        Segment seg = segment("s" + next[0]++, written);
                        meta.putObject(
                                "b",
                                key,
                                ObjectRecord.newBuilder()
                                        .setVersionId(seg.getShardSet())
                                        .addSegments(seg)
                                        .build(),
                                PutCondition.NONE);
                    }
                    case DELETE -> meta.deleteObject("b", key);
                    case CREATE_UPLOAD -> {
                        UploadRecord upload = UploadRecord.newBuilder()
                                .setUploadId("u" + next[0]++)
                                .setBucket("b")
                                .setKey(key)
                                .build();
                        meta.createUpload(upload);
                        uploads.add(upload);
                    }
                    case PUT_PART -> {
                        if (uploads.isEmpty()) continue;
                        UploadRecord upload = uploads.get(s.pick() % uploads.size());
                        Segment seg = segment("p" + next[0]++, written);
                        if (!meta.putPart(
                                upload,
                                PartRecord.newBuilder()
                                        .setPartNumber(s.part())
                                        .setSegment(seg)
                                        .build())) {
                            written.remove(seg.getShardSet()); // refused: the gateway discards it itself
                        }
                    }
                    case COMPLETE -> {
                        if (uploads.isEmpty()) continue;
                        String id = uploads.get(s.pick() % uploads.size()).getUploadId();
                        UploadState state = meta.getUploadState("b", id).orElse(null);
                        if (state == null) continue;
                        List<PartRecord> used = new ArrayList<>(), unused = new ArrayList<>();
                        for (PartRecord p : state.parts())
                            ((p.getPartNumber() + s.pick()) % 2 == 0 ? unused : used).add(p);
                        ObjectRecord.Builder rec = ObjectRecord.newBuilder().setVersionId("v" + next[0]++);
                        used.forEach(p -> rec.addSegments(p.getSegment()));
                        meta.completeUpload(state, rec.build(), unused);
                    }
                    case ABORT -> {
                        if (uploads.isEmpty()) continue;
                        meta.abortUpload(
                                "b", uploads.get(s.pick() % uploads.size()).getUploadId());
                    }
                }
            }
            Set<String> referenced = new HashSet<>();
            for (var o : meta.scanObjects("b", "", true, null, 0)) {
                o.record().getSegmentsList().forEach(seg -> referenced.add(seg.getShardSet()));
            }
            for (UploadRecord u : meta.listUploads("b")) {
                meta.getUploadState("b", u.getUploadId())
                        .orElseThrow()
                        .parts()
                        .forEach(p -> referenced.add(p.getSegment().getShardSet()));
            }
            List<String> garbage = new ArrayList<>();
            for (KeyValue kv : meta.client()
                    .getKVClient()
                    .get(
                            ByteSequence.from(keys.garbagePrefix(), StandardCharsets.UTF_8),
                            GetOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS)
                    .getKvs()) {
                GarbageRecord.parseFrom(kv.getValue().getBytes())
                        .getSegmentsList()
                        .forEach(seg -> garbage.add(seg.getShardSet()));
            }
            Set<String> garbageSet = new HashSet<>(garbage);
            assertEquals(garbage.size(), garbageSet.size(), "a shard set queued twice: " + garbage);
            for (String g : garbageSet)
                assertTrue(!referenced.contains(g), "referenced shard set queued as garbage: " + g);
            Set<String> accounted = new HashSet<>(referenced);
            accounted.addAll(garbageSet);
            assertEquals(written, accounted, "every written shard set is referenced or garbage");
        }
    }

    private static Segment segment(String id, Set<String> written) {
        written.add(id);
        return Segment.newBuilder()
                .setShardSet(id)
                .setSize(1)
                .setLayout(ErasureLayout.newBuilder().setK(1).setM(1).setBlockSize(16))
                .addNodeIds("n0")
                .addNodeIds("n1")
                .build();
    }
}
