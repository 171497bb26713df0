package io.basalt.coordinator;

import io.basalt.core.meta.MetadataStore;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.UploadRecord;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Aborts multipart uploads left unfinished for longer than {@code maxAge}: clients that crash
 * between Create and Complete would otherwise pin their parts' shards forever. Aborting queues
 * the parts as garbage, which the {@link GarbageCollector} removes after its grace period.
 */
final class UploadExpiry implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(UploadExpiry.class);

    private final MetadataStore meta;
    private final Duration maxAge;
    private final Duration interval;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "upload-expiry");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> task;

    UploadExpiry(MetadataStore meta, Duration maxAge, Duration interval) {
        this.meta = meta;
        this.maxAge = maxAge;
        this.interval = interval;
    }

    synchronized void start() {
        if (task == null) task = timer.scheduleWithFixedDelay(this::sweepQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    synchronized void stop() {
        if (task != null) task.cancel(false);
        task = null;
    }

    private void sweepQuietly() {
        try {
            sweep(System.currentTimeMillis());
        } catch (RuntimeException e) {
            log.warn("upload expiry pass failed: {}", e.toString());
        }
    }

    /** @return how many uploads were aborted */
    int sweep(long nowMs) {
        int aborted = 0;
        for (BucketRecord bucket : meta.listBuckets()) {
            for (UploadRecord u : meta.listUploads(bucket.getName())) {
                if (nowMs - u.getInitiatedUnixMs() < maxAge.toMillis()) continue;
                if (meta.abortUpload(bucket.getName(), u.getUploadId())) {
                    aborted++;
                    log.info("aborted multipart upload {} of {}/{}: unfinished for more than {}", u.getUploadId(),
                            bucket.getName(), u.getKey(), maxAge);
                }
            }
        }
        return aborted;
    }

    @Override
    public void close() {
        stop();
        timer.shutdownNow();
    }
}
