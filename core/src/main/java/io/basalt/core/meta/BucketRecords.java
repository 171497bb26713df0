package io.basalt.core.meta;

import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.core.meta.MetadataStore.ListedVersion;
import io.basalt.proto.meta.ObjectRecord;
import java.util.List;

/**
 * Every object record of a bucket that holds data: its current versions, then its noncurrent ones (delete
 * markers hold none), page by page, all as of one metadata revision when given: a version moving between
 * current and noncurrent during the walk is then seen exactly once, as what references shards must be.
 */
public final class BucketRecords {

    /** Sees one record; false stops the walk. */
    @FunctionalInterface
    public interface Visitor {
        boolean visit(String key, ObjectRecord record);
    }

    private BucketRecords() {}

    /** @return false when the visitor stopped the walk */
    public static boolean walk(MetadataStore meta, String bucket, long revision, int page, Visitor visitor) {
        String from = "";
        boolean inclusive = true;
        while (true) {
            List<ListedObject> objects = meta.scanObjects(bucket, from, inclusive, null, page, revision);
            for (ListedObject o : objects) {
                if (!visitor.visit(o.key(), o.record())) return false;
            }
            if (objects.size() < page) break;
            from = objects.getLast().key();
            inclusive = false;
        }
        from = "";
        inclusive = true;
        while (true) {
            List<ListedVersion> versions = meta.scanVersions(bucket, from, inclusive, page, revision);
            for (ListedVersion v : versions) {
                if (!v.record().getDeleteMarker() && !visitor.visit(v.key(), v.record())) return false;
            }
            if (versions.size() < page) break;
            from = versions.getLast().position();
            inclusive = false;
        }
        return true;
    }
}
