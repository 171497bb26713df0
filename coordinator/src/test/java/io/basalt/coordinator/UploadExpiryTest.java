package io.basalt.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Abandoned multipart uploads are aborted after their expiry and their parts queued as garbage. */
class UploadExpiryTest {

    private static final Keys KEYS = new Keys("/expiry-test/");
    private EtcdProcess etcd;
    private EtcdMetadataStore meta;

    @BeforeEach
    void start() throws Exception {
        etcd = EtcdProcess.start();
        meta = EtcdMetadataStore.connect(List.of(etcd.endpoint()), KEYS);
        meta.createBucket(BucketRecord.newBuilder().setName("b").build());
    }

    @AfterEach
    void stop() {
        if (meta != null) meta.close();
        if (etcd != null) etcd.close();
    }

    @Test
    void abortsOnlyUploadsOlderThanTheExpiry() throws Exception {
        long now = System.currentTimeMillis();
        upload("old", now - Duration.ofHours(25).toMillis());
        upload("young", now - Duration.ofHours(1).toMillis());
        meta.putPart(
                meta.getUpload("b", "old").orElseThrow(),
                PartRecord.newBuilder()
                        .setPartNumber(1)
                        .setSegment(segment("old-part"))
                        .build());

        try (UploadExpiry expiry = new UploadExpiry(meta, Duration.ofHours(24), Duration.ofMinutes(10))) {
            assertEquals(1, expiry.sweep(now));
        }
        assertTrue(meta.getUpload("b", "old").isEmpty(), "the stale upload is gone");
        assertTrue(meta.getUpload("b", "young").isPresent(), "a recent upload is kept");
        List<KeyValue> garbage = meta.client()
                .getKVClient()
                .get(
                        ByteSequence.from(KEYS.garbagePrefix(), StandardCharsets.UTF_8),
                        GetOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS)
                .getKvs();
        assertEquals(1, garbage.size());
        GarbageRecord g = GarbageRecord.parseFrom(garbage.get(0).getValue().getBytes());
        assertEquals("old-part", g.getSegments(0).getShardSet(), "the part's shards are queued for GC");
    }

    private void upload(String id, long initiated) {
        assertTrue(meta.createUpload(UploadRecord.newBuilder()
                .setUploadId(id)
                .setBucket("b")
                .setKey("k-" + id)
                .setInitiatedUnixMs(initiated)
                .build()));
    }

    private static Segment segment(String shardSet) {
        return Segment.newBuilder()
                .setShardSet(shardSet)
                .setSize(10)
                .setLayout(ErasureLayout.newBuilder().setK(1).setM(1).setBlockSize(1024))
                .addNodeIds("n1")
                .addNodeIds("n2")
                .build();
    }
}
