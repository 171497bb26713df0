package io.basalt.coordinator;

import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds which object, or part of an upload in progress, references each of a set of shard sets:
 * storage nodes report scrub findings by shard set alone. One scan answers a whole batch of
 * reports, and it stops as soon as every wanted set is found.
 */
final class ShardSetLocator {

    /** Where a segment lives: an object ({@code uploadId} empty) or a part of upload {@code uploadId}. */
    record Ref(String bucket, String key, String uploadId) {
    }

    private static final int PAGE = 500;

    private final MetadataStore meta;

    ShardSetLocator(MetadataStore meta) {
        this.meta = meta;
    }

    /** The references found; a wanted set missing from the answer is referenced nowhere. */
    Map<String, Ref> locate(Set<String> wanted) {
        Map<String, Ref> found = new HashMap<>();
        if (wanted.isEmpty()) return found;
        Set<String> left = new HashSet<>(wanted);
        List<BucketRecord> buckets = meta.listBuckets();
        // Parts before objects: Complete moves a part into an object, never back, so a segment
        // moving during the scan is still seen once.
        for (BucketRecord b : buckets) {
            for (UploadRecord u : meta.listUploads(b.getName())) {
                var state = meta.getUploadState(b.getName(), u.getUploadId());
                if (state.isEmpty()) continue;
                for (PartRecord p : state.get().parts()) {
                    take(p.getSegment(), new Ref(b.getName(), u.getKey(), u.getUploadId()), left, found);
                }
                if (left.isEmpty()) return found;
            }
        }
        for (BucketRecord b : buckets) {
            String from = "";
            boolean inclusive = true;
            while (true) {
                List<ListedObject> page = meta.scanObjects(b.getName(), from, inclusive, null, PAGE);
                for (ListedObject o : page) {
                    for (Segment s : o.record().getSegmentsList()) take(s, new Ref(b.getName(), o.key(), ""), left, found);
                }
                if (left.isEmpty()) return found;
                if (page.size() < PAGE) break;
                from = page.get(page.size() - 1).key();
                inclusive = false;
            }
        }
        return found;
    }

    private static void take(Segment s, Ref ref, Set<String> left, Map<String, Ref> found) {
        if (left.remove(s.getShardSet())) found.put(s.getShardSet(), ref);
    }
}
