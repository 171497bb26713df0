package io.basalt.coordinator;

import io.basalt.core.meta.MetadataStore;
import io.basalt.proto.meta.Segment;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Finds which object, or part of an upload in progress, references each of a set of shard sets:
 * storage nodes report scrub findings by shard set alone. One scan answers a whole batch of
 * reports, and it stops as soon as every wanted set is found.
 */
final class ShardSetLocator {

    private final SegmentScan scan;

    ShardSetLocator(MetadataStore meta) {
        this.scan = new SegmentScan(meta);
    }

    /** The references found; a wanted set missing from the answer is referenced nowhere. */
    Map<String, SegmentScan.Ref> locate(Set<String> wanted) {
        Map<String, SegmentScan.Ref> found = new HashMap<>();
        if (wanted.isEmpty()) return found;
        Set<String> left = new HashSet<>(wanted);
        scan.forEach((ref, segments) -> {
            for (Segment s : segments) {
                if (left.remove(s.getShardSet())) found.put(s.getShardSet(), ref);
            }
            return !left.isEmpty();
        });
        return found;
    }
}
