package io.basalt.core.meta;

import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.PartRecord;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Every record of a kind, whatever bucket or upload it belongs to (even one whose bucket or upload
 * record is gone), read page by page: what a check from outside compares with what the nodes hold.
 * Unreadable records are left out.
 */
public interface RecordInventory {

    /** Every object record with data, current or noncurrent version, named {@code bucket/key}. */
    void objects(int pageSize, BiConsumer<String, ObjectRecord> each);

    /** Every part record, named {@code uploadId/part}. */
    void parts(int pageSize, BiConsumer<String, PartRecord> each);

    /** Every garbage record. */
    void garbage(int pageSize, Consumer<GarbageRecord> each);

    /** Every live node's record. */
    void nodes(int pageSize, Consumer<NodeRecord> each);
}
