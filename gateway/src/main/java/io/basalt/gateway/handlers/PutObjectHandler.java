package io.basalt.gateway.handlers;

import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.proto.meta.ObjectRecord;
import java.io.IOException;

/**
 * PutObject: the body is erasure-coded onto the storage nodes as it arrives; only when every
 * shard is durable and every check on the body has passed is the record committed in etcd.
 * A failure anywhere before that leaves nothing visible.
 */
public final class PutObjectHandler {

    private final S3Context ctx;
    private final ObjectWriter writer;

    public PutObjectHandler(S3Context ctx) {
        this.ctx = ctx;
        this.writer = new ObjectWriter(ctx);
    }

    public void put(S3Request req) throws IOException {
        S3Context.checkKey(req.key());
        ObjectHeaders.checkSize(req);
        writer.requireBucket(req.bucket());
        ObjectWriter.requireLength(req);
        PutCondition condition = new PutCondition("*".equals(req.header("If-None-Match")), req.header("If-Match"));
        if (!condition.equals(PutCondition.NONE)) {
            // refused before the body is taken; the commit checks again, atomically
            String etag = ctx.meta()
                    .getObject(req.bucket(), req.key())
                    .map(ObjectRecord::getEtag)
                    .orElse(null);
            if (!condition.allows(etag)) {
                throw new S3Exception(etag == null ? S3Error.NO_SUCH_KEY : S3Error.PRECONDITION_FAILED);
            }
        }
        ObjectWriter.Written body = writer.body(req);
        writer.commitObject(req, body, rec -> ObjectHeaders.capture(req, rec), condition);
        body.writeHeaders(req.exchange().getResponseHeaders());
        Responses.empty(req.exchange(), 200);
    }
}
