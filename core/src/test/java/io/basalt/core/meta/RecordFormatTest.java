package io.basalt.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.basalt.core.Release;
import io.basalt.proto.meta.AccessKeyRecord;
import io.basalt.proto.meta.BucketGrant;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.BucketVersioning;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.LifecycleConfiguration;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.UploadRecord;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The record-format rule of meta.proto's head: every record stored in etcd carries {@code format} (number 15,
 * absent = 1); this release reads format 1 and refuses a newer one instead of misreading it, on a real etcd.
 */
class RecordFormatTest {

    /** Every message stored as an etcd value (see Keys), each with the same field. */
    static final List<Descriptor> RECORDS = List.of(
            NodeRecord.getDescriptor(),
            BucketRecord.getDescriptor(),
            ObjectRecord.getDescriptor(),
            BucketVersioning.getDescriptor(),
            UploadRecord.getDescriptor(),
            PartRecord.getDescriptor(),
            GarbageRecord.getDescriptor(),
            HealRecord.getDescriptor(),
            AccessKeyRecord.getDescriptor(),
            BucketGrant.getDescriptor(),
            LifecycleConfiguration.getDescriptor());

    @Test
    void everyStoredRecordCarriesTheFormatField() {
        for (Descriptor d : RECORDS) {
            FieldDescriptor f = d.findFieldByNumber(RecordFormat.FIELD);
            assertTrue(f != null && f.getName().equals("format"), d.getName() + " has format = 15");
            assertEquals(FieldDescriptor.Type.UINT32, f.getType(), d.getName());
        }
    }

    @Test
    void absentMeansOneAndOnlyANewerFormatIsRefused() {
        assertEquals(1, RecordFormat.of(ObjectRecord.getDefaultInstance()));
        assertEquals(1, RecordFormat.of(ObjectRecord.newBuilder().setFormat(1).build()));
        ObjectRecord current = ObjectRecord.newBuilder().setEtag("e").build();
        assertEquals(current, RecordFormat.check(current, "objects/b/k"));
        MetadataUnavailableException e = assertThrows(
                MetadataUnavailableException.class,
                () -> RecordFormat.check(ObjectRecord.newBuilder().setFormat(2).build(), "objects/b/k"));
        assertTrue(e.getMessage().contains("record format 2"), e.getMessage());
        assertTrue(e.getMessage().contains("objects/b/k"), e.getMessage());
    }

    /** This release writes no format field at all: its records are byte-identical to the previous release's. */
    @Test
    void thisReleaseWritesFormatOneAsAbsent() {
        assertEquals(0, ObjectRecord.newBuilder().setEtag("e").build().getFormat());
        assertEquals(1, RecordFormat.CURRENT);
    }

    @Test
    void aNewerObjectRecordInEtcdIsRefusedAndACurrentOneRead() throws Exception {
        Keys keys = new Keys("/format/");
        try (EtcdProcess etcd = EtcdProcess.start();
                Client raw = Client.builder().endpoints(etcd.endpoint()).build()) {
            EtcdMetadata metadata = EtcdMetadata.connect(List.of(etcd.endpoint()), keys);
            try {
                check(raw, keys, metadata);
            } finally {
                metadata.close();
            }
        }
    }

    private static void check(Client raw, Keys keys, EtcdMetadata metadata) throws Exception {
        {
            put(
                    raw,
                    keys.object("b", "old"),
                    ObjectRecord.newBuilder().setEtag("e1").build());
            // as a future release would write it: a field this release does not know, and format 2
            ObjectRecord newer =
                    ObjectRecord.newBuilder().setEtag("e2").setFormat(2).build();
            put(raw, keys.object("b", "new"), newer);
            assertEquals(
                    "e1", metadata.store().getObject("b", "old").orElseThrow().getEtag());
            MetadataUnavailableException e = assertThrows(
                    MetadataUnavailableException.class, () -> metadata.store().getObject("b", "new"));
            assertTrue(e.getMessage().contains("/format/"), "names the key: " + e.getMessage());

            // a node record of a newer release's field (release) reads; the release is what the node says
            put(
                    raw,
                    keys.nodeSeen("n1"),
                    NodeRecord.newBuilder()
                            .setNodeId("n1")
                            .setRelease(Release.version())
                            .build());
            assertEquals(Release.version(), metadata.nodes().seen().get("n1").getRelease());
        }
    }

    @Test
    void theReleaseIsTheBuildsVersion() {
        assertTrue(Release.version().matches("[0-9]+\\.[0-9]+\\.[0-9]+.*"), Release.version());
    }

    private static void put(Client raw, String key, com.google.protobuf.Message record) throws Exception {
        raw.getKVClient()
                .put(ByteSequence.from(key, StandardCharsets.UTF_8), ByteSequence.from(record.toByteArray()))
                .get();
    }
}
