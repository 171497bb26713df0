package io.basalt.coordinator;

import io.basalt.coordinator.admin.CoordinatorStatus;
import io.basalt.core.lifecycle.LifecycleRules;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.proto.meta.LifecycleConfiguration;
import io.basalt.proto.meta.UploadRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
