package io.basalt.gateway.handlers;

import io.basalt.core.meta.MetadataStore.DeleteResult;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;

/**
 * DeleteObject: idempotent, 204 whether or not the key existed (as S3 answers). In a versioned bucket it
 * makes a delete marker, or with {@code versionId} removes that version for good.
 */
public final class DeleteObjectHandler {

    private final S3Context ctx;

    public DeleteObjectHandler(S3Context ctx) {
        this.ctx = ctx;
    }

    public void delete(S3Request req) {
        // the store reads the bucket with the object, in one round trip
        DeleteResult r = ctx.meta().delete(req.bucket(), req.key(), req.queryParam("versionId"));
        if (!r.bucketFound()) throw new S3Exception(S3Error.NO_SUCH_BUCKET);
        if (r.deleteMarker()) Responses.deleteMarker(req.exchange(), r.versionId());
        else Responses.versionId(req.exchange(), r.versionId());
        Responses.empty(req.exchange(), 204);
    }
}
