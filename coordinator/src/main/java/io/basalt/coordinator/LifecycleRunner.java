package io.basalt.coordinator;

import io.basalt.coordinator.admin.CoordinatorStatus;
import io.basalt.core.lifecycle.LifecycleRules;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.core.meta.MetadataStore.ListedVersion;
import io.basalt.proto.meta.LifecycleConfiguration;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.UploadRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Runs the buckets' lifecycle rules: each pass reads every configuration, walks the objects of the
 * buckets that have one in key order, a page at a time, and deletes those due; then aborts the unfinished
 * uploads due. A delete names the version it judged, so an object overwritten meanwhile (a new creation
 * date, perhaps new tags) is left to the next pass. Deleting queues the shards as garbage, as a client's
 * DELETE does.
 */
final class LifecycleRunner extends LeaderTask {

    private static final Logger log = LogManager.getLogger(LifecycleRunner.class);
    private static final int PAGE = 1000;

    private final MetadataStore meta;
    private final long dayMillis;

    // since this coordinator started, for admin status
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final AtomicLong aborted = new AtomicLong();
    private volatile Pass last;
    private volatile long runningSinceUnixMs;

    /** One finished pass. */
    record Pass(long startedUnixMs, long millis, int buckets, long scanned, long expired, long aborted) {}

    LifecycleRunner(MetadataStore meta, Duration interval, Duration day) {
        super("lifecycle", Duration.ZERO, interval);
        this.meta = meta;
        this.dayMillis = day.toMillis();
    }

    @Override
    protected void pass() {
        runOnce(System.currentTimeMillis());
    }

    /** One pass over every bucket with rules, judged at {@code nowMs}. */
    Pass runOnce(long nowMs) {
        long started = System.currentTimeMillis();
        runningSinceUnixMs = started;
        long scanned = 0, expiredNow = 0, abortedNow = 0;
        Map<String, LifecycleConfiguration> configs = meta.lifecycles();
        try {
            for (Map.Entry<String, LifecycleConfiguration> e : configs.entrySet()) {
                if (LifecycleRules.actsOnVersions(e.getValue())) {
                    long[] counts = versions(e.getKey(), e.getValue(), nowMs);
                    scanned += counts[0];
                    expiredNow += counts[1];
                }
                if (!LifecycleRules.actsOnCurrentObjects(e.getValue())) continue;
                String bucket = e.getKey();
                String after = "";
                boolean first = true;
                while (true) {
                    List<ListedObject> page = meta.scanObjects(bucket, after, first, null, PAGE);
                    for (ListedObject o : page) {
                        scanned++;
                        OptionalLong due = LifecycleRules.expiry(e.getValue(), o.key(), o.record(), dayMillis);
                        if (due.isPresent() && due.getAsLong() <= nowMs) {
                            if (meta.deleteObjectVersion(
                                    bucket, o.key(), o.record().getVersionId())) {
                                expiredNow++;
                                expired.incrementAndGet();
                                log.debug("lifecycle expired {}/{}", bucket, o.key());
                            }
                        }
                    }
                    if (page.size() < PAGE) break;
                    after = page.getLast().key();
                    first = false;
                }
                for (UploadRecord u : meta.listUploads(bucket)) {
                    OptionalLong due = LifecycleRules.abortAt(e.getValue(), u, dayMillis);
                    if (due.isPresent() && due.getAsLong() <= nowMs && meta.abortUpload(bucket, u.getUploadId())) {
                        abortedNow++;
                        aborted.incrementAndGet();
                        log.info("lifecycle aborted upload {} of {}/{}", u.getUploadId(), bucket, u.getKey());
                    }
                }
            }
        } finally {
            runningSinceUnixMs = 0;
        }
        passes.incrementAndGet();
        Pass p = new Pass(
                started, System.currentTimeMillis() - started, configs.size(), scanned, expiredNow, abortedNow);
        last = p;
        if (expiredNow > 0 || abortedNow > 0) {
            log.info(
                    "lifecycle pass: {} buckets with rules, {} objects scanned, {} expired, {} uploads aborted, {} ms",
                    p.buckets(),
                    scanned,
                    expiredNow,
                    abortedNow,
                    p.millis());
        }
        return p;
    }

    /**
     * Noncurrent versions due and delete markers left alone, key by key through the bucket's versions (each
     * key's newest first); removed by version id, so a version made meanwhile is never the one removed.
     * Returns versions scanned and removed.
     */
    private long[] versions(String bucket, LifecycleConfiguration config, long nowMs) {
        long scanned = 0, removed = 0;
        String from = "";
        boolean inclusive = true;
        List<ListedVersion> key = new ArrayList<>();
        while (true) {
            List<ListedVersion> page = meta.scanVersions(bucket, from, inclusive, PAGE);
            for (ListedVersion v : page) {
                scanned++;
                if (!key.isEmpty() && !key.getFirst().key().equals(v.key())) {
                    removed += versionsOfKey(bucket, key, config, nowMs);
                    key.clear();
                }
                key.add(v);
            }
            if (page.size() < PAGE) break;
            from = page.getLast().position();
            inclusive = false;
        }
        if (!key.isEmpty()) removed += versionsOfKey(bucket, key, config, nowMs);
        return new long[] {scanned, removed};
    }

    private int versionsOfKey(String bucket, List<ListedVersion> versions, LifecycleConfiguration config, long nowMs) {
        String key = versions.getFirst().key();
        Optional<ObjectRecord> current = meta.getObject(bucket, key);
        int removed = 0;
        // a version stops being current when the next newer one is made
        long supersededAt = current.map(ObjectRecord::getModifiedUnixMs).orElse(-1L);
        int newerNoncurrent = 0;
        for (int i = 0; i < versions.size(); i++) {
            ObjectRecord v = versions.get(i).record();
            boolean latest = i == 0 && current.isEmpty();
            if (latest) {
                // a delete marker with nothing behind it: ExpiredObjectDeleteMarker removes it
                if (v.getDeleteMarker()
                        && versions.size() == 1
                        && LifecycleRules.removesExpiredDeleteMarker(config, key)
                        && remove(bucket, key, v)) removed++;
                supersededAt = v.getModifiedUnixMs();
                continue;
            }
            OptionalLong due = v.getDeleteMarker()
                    ? OptionalLong.empty()
                    : LifecycleRules.noncurrentExpiry(config, key, v, supersededAt, newerNoncurrent, dayMillis);
            if (due.isPresent() && due.getAsLong() <= nowMs && remove(bucket, key, v)) removed++;
            if (!v.getDeleteMarker()) newerNoncurrent++;
            supersededAt = v.getModifiedUnixMs();
        }
        return removed;
    }

    private boolean remove(String bucket, String key, ObjectRecord version) {
        // a bucket deleted during the pass: nothing to remove
        if (!meta.delete(bucket, key, MetadataStore.s3VersionId(version)).bucketFound()) return false;
        expired.incrementAndGet();
        log.debug("lifecycle removed version {} of {}/{}", MetadataStore.s3VersionId(version), bucket, key);
        return true;
    }

    CoordinatorStatus.Lifecycle status() {
        Pass p = last;
        return new CoordinatorStatus.Lifecycle(
                passes.get(),
                runningSinceUnixMs,
                p == null ? 0 : p.startedUnixMs(),
                p == null ? 0 : p.millis(),
                p == null ? 0 : p.buckets(),
                p == null ? 0 : p.scanned(),
                expired.get(),
                aborted.get());
    }
}
