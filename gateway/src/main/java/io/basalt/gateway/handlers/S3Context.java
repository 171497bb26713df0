package io.basalt.gateway.handlers;

import io.basalt.core.data.DataPath;
import io.basalt.core.meta.AccessStore;
import io.basalt.core.meta.MetadataStore;
import io.basalt.gateway.auth.Permissions;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.Segment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;

/**
 * What every S3 handler works with: the metadata store, the data path, who may do what (the stored
 * keys, grants and policies, and their evaluation), and limits.
 */
public record S3Context(
        MetadataStore meta, DataPath data, AccessStore access, Permissions permissions, long minPartSize) {

    static final int MAX_KEY_BYTES = 1024;

    public BucketRecord requireBucket(String bucket) {
        return meta.getBucket(bucket).orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_BUCKET));
    }

    /** A read met a corrupt shard and served around it: ask the coordinator to rebuild it. */
    public void reportCorrupt(String bucket, String key, Segment seg, int shard) {
        queueHeal(bucket, key, "", seg, List.of(shard), "corrupt or missing shard met by a read");
    }

    /** Shards a committed write names that did not become durable after its quorum: rebuild them. */
    void reportLeftBehind(String bucket, String key, String uploadId, Segment seg, List<Integer> shards) {
        queueHeal(bucket, key, uploadId, seg, shards, "shard left behind by its write after the commit");
    }

    /**
     * How long a request's answer waits for a heal it found needed to be queued: the floor of the etcd call
     * deadline, so an etcd that answers as usual has queued it before the client hears back.
     */
    static final long HEAL_QUEUE_PATIENCE_MS = 2_000;

    private static final ExecutorService HEAL_QUEUERS = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("heal-queue-", 0).factory());

    /**
     * Queues a heal, waiting for it up to {@link #HEAL_QUEUE_PATIENCE_MS}, then answers while it goes on. Why: the
     * write's record is committed, or the read's bytes served, whether or not this is queued (the orphan sweep and
     * the scrubber find a missing or corrupt shard later), but the transaction can wait out the whole etcd deadline
     * (10 s on a young cluster) when its member was just cut off, and a client that gives up on a request it was
     * about to be answered retries it elsewhere.
     */
    private void queueHeal(String bucket, String key, String uploadId, Segment seg, List<Integer> shards, String why) {
        Future<?> queued = HEAL_QUEUERS.submit(() -> sendHeal(bucket, key, uploadId, seg, shards, why));
        try {
            queued.get(HEAL_QUEUE_PATIENCE_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LogManager.getLogger(S3Context.class)
                    .warn(
                            "queueing the heal of {} shards {} ({}) takes over {} ms: the request is answered first",
                            seg.getShardSet(),
                            shards,
                            why,
                            HEAL_QUEUE_PATIENCE_MS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sendHeal(String bucket, String key, String uploadId, Segment seg, List<Integer> shards, String why) {
        try {
            meta.queueHeal(HealRecord.newBuilder()
                    .setBucket(bucket)
                    .setKey(key)
                    .setUploadId(uploadId)
                    .setShardSet(seg.getShardSet())
                    .addAllShards(shards)
                    .setQueuedUnixMs(System.currentTimeMillis())
                    .setReason(why)
                    .build());
        } catch (RuntimeException e) {
            // the orphan sweep (a write's shard) or the scrubber (a corrupt one) finds it later
            LogManager.getLogger(S3Context.class)
                    .warn("could not queue heal of {} shards {}: {}", seg.getShardSet(), shards, e.toString());
        }
    }

    static void checkKey(String key) {
        if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) throw new S3Exception(S3Error.KEY_TOO_LONG);
        // A key XML 1.0 cannot carry (NUL, most control characters) would break every LIST of its bucket
        // for clients that do not ask for URL-encoded keys: refuse it at write time.
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xFFFE || c == 0xFFFF) {
                throw new S3Exception(
                        S3Error.INVALID_ARGUMENT,
                        "Object key contains a character XML cannot carry (U+" + String.format("%04X", (int) c) + ").");
            }
        }
    }
}
