package io.basalt.coordinator;

import io.basalt.core.meta.BucketRecords;
import io.basalt.core.meta.MetadataStore;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import java.util.List;

/**
 * Walks every referenced segment: the parts of uploads in progress, then every object version's.
 * Parts come first because Complete moves a part into an object, never back, so a segment
 * that moves during the walk is still seen once.
 */
public final class SegmentScan {

    /** Where a segment lives: an object ({@code uploadId} empty) or a part of upload {@code uploadId}. */
    public record Ref(String bucket, String key, String uploadId) {
        public boolean isPart() {
            return !uploadId.isEmpty();
        }
    }

    /** Sees the segments of one object record or one part; returns false to stop the walk. */
    @FunctionalInterface
    public interface Visitor {
        boolean visit(Ref ref, List<Segment> segments);
    }

    private static final int PAGE = 500;

    private final MetadataStore meta;

    public SegmentScan(MetadataStore meta) {
        this.meta = meta;
    }

    /** @return true when every segment was visited, false when the visitor stopped the walk */
    public boolean forEach(Visitor visitor) {
        List<BucketRecord> buckets = meta.listBuckets();
        for (BucketRecord b : buckets) {
            for (UploadRecord u : meta.listUploads(b.getName())) {
                var state = meta.getUploadState(b.getName(), u.getUploadId());
                if (state.isEmpty()) continue;
                Ref ref = new Ref(b.getName(), u.getKey(), u.getUploadId());
                for (PartRecord p : state.get().parts()) {
                    if (!visitor.visit(ref, List.of(p.getSegment()))) return false;
                }
            }
        }
        // at one revision, taken after the parts: a completion or a version made noncurrent meanwhile is seen once
        long revision = meta.revision();
        for (BucketRecord b : buckets) {
            boolean whole = BucketRecords.walk(
                    meta,
                    b.getName(),
                    revision,
                    PAGE,
                    (key, record) -> visitor.visit(new Ref(b.getName(), key, ""), record.getSegmentsList()));
            if (!whole) return false;
        }
        return true;
    }
}
