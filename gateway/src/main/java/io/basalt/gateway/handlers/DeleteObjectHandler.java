package io.basalt.gateway.handlers;

import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Request;

/** DeleteObject: idempotent, 204 whether or not the key existed (as S3 answers). */
public final class DeleteObjectHandler {

    private final S3Context ctx;

    public DeleteObjectHandler(S3Context ctx) {
        this.ctx = ctx;
    }

    public void delete(S3Request req) {
        ctx.requireBucket(req.bucket());
        ctx.meta().deleteObject(req.bucket(), req.key());
        Responses.empty(req.exchange(), 204);
    }
}
