package io.basalt.coordinator;

import io.basalt.core.meta.MetadataStore;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.UploadRecord;
import java.time.Duration;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Aborts multipart uploads left unfinished for longer than {@code maxAge}: clients that crash
 * between Create and Complete would otherwise pin their parts' shards forever. Aborting queues
 * the parts as garbage, which the {@link GarbageCollector} removes after its grace period.
 */
final class UploadExpiry extends LeaderTask {

    private static final Logger log = LogManager.getLogger(UploadExpiry.class);

    private final MetadataStore meta;
    private final Duration maxAge;

    UploadExpiry(MetadataStore meta, Duration maxAge, Duration interval) {
        super("upload-expiry", Duration.ZERO, interval);
        this.meta = meta;
        this.maxAge = maxAge;
    }

    @Override
    protected void pass() {
        sweep(System.currentTimeMillis());
    }

    /** @return how many uploads were aborted */
    int sweep(long nowMs) {
        int aborted = 0;
        for (BucketRecord bucket : meta.listBuckets()) {
            for (UploadRecord u : meta.listUploads(bucket.getName())) {
                if (nowMs - u.getInitiatedUnixMs() < maxAge.toMillis()) continue;
                if (meta.abortUpload(bucket.getName(), u.getUploadId())) {
                    aborted++;
                    log.info(
                            "aborted multipart upload {} of {}/{}: unfinished for more than {}",
                            u.getUploadId(),
                            bucket.getName(),
                            u.getKey(),
                            maxAge);
                }
            }
        }
        return aborted;
    }
}
