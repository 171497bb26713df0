package io.basalt.gateway.handlers;

import io.basalt.core.data.DataPath;
import io.basalt.core.meta.MetadataStore;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.proto.meta.BucketRecord;

import java.nio.charset.StandardCharsets;

/**
 * What every S3 handler works with: the metadata store, the data path, and limits.
 * {@code minPartSize} is S3's 5 MiB; tests lower it to exercise 1000-part uploads cheaply.
 */
public record S3Context(MetadataStore meta, DataPath data, long minPartSize) {

    public static final long S3_MIN_PART_SIZE = 5L << 20;

    static final int MAX_KEY_BYTES = 1024;

    public BucketRecord requireBucket(String bucket) {
        return meta.getBucket(bucket).orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_BUCKET));
    }

    static void checkKey(String key) {
        if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) throw new S3Exception(S3Error.KEY_TOO_LONG);
    }
}
