package io.basalt.gateway.handlers;

import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.XmlBody;
import io.basalt.proto.meta.LifecycleConfiguration;
import java.io.IOException;

/**
 * Get/Put/DeleteBucketLifecycleConfiguration. The rules are stored with the bucket and run by the leading
 * coordinator (its progress is in {@code basalt admin status}); putting them changes no object by itself.
 */
public final class LifecycleHandler {

    private final S3Context ctx;

    public LifecycleHandler(S3Context ctx) {
        this.ctx = ctx;
    }

    public void get(S3Request req) {
        ctx.requireBucket(req.bucket());
        LifecycleConfiguration config = ctx.meta()
                .getLifecycle(req.bucket())
                .orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_LIFECYCLE_CONFIGURATION));
        Responses.xml(req.exchange(), 200, LifecycleXml.toXml(config));
    }

    public void put(S3Request req) throws IOException {
        LifecycleConfiguration config = LifecycleXml.parse(XmlBody.parse(req.body()));
        if (!ctx.meta().putLifecycle(req.bucket(), config)) throw new S3Exception(S3Error.NO_SUCH_BUCKET);
        Responses.empty(req.exchange(), 200);
    }

    public void delete(S3Request req) {
        ctx.requireBucket(req.bucket());
        ctx.meta().deleteLifecycle(req.bucket());
        Responses.empty(req.exchange(), 204);
    }
}
