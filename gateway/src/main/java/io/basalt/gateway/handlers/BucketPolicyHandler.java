package io.basalt.gateway.handlers;

import io.basalt.gateway.auth.BucketPolicy;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.undertow.util.Headers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * GetBucketPolicy, PutBucketPolicy, DeleteBucketPolicy. A policy is checked when put ({@link
 * BucketPolicy#parse}: what Basalt cannot evaluate is refused, never ignored) and kept as sent, so
 * GetBucketPolicy answers the owner's own document.
 */
public final class BucketPolicyHandler {

    private final S3Context ctx;

    public BucketPolicyHandler(S3Context ctx) {
        this.ctx = ctx;
    }

    public void get(S3Request req) {
        ctx.requireBucket(req.bucket());
        String json =
                ctx.access().policy(req.bucket()).orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_BUCKET_POLICY));
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        req.exchange().setStatusCode(200);
        req.exchange().getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        req.exchange().setResponseContentLength(body.length);
        req.exchange().getResponseSender().send(ByteBuffer.wrap(body));
    }

    public void put(S3Request req) throws IOException {
        byte[] body = req.body().readNBytes(BucketPolicy.MAX_BYTES + 1);
        if (body.length > BucketPolicy.MAX_BYTES) {
            throw new S3Exception(S3Error.MALFORMED_POLICY, "Policies must be at most 20 KB.");
        }
        String json = new String(body, StandardCharsets.UTF_8);
        BucketPolicy.parse(json, req.bucket());
        if (!ctx.access().putPolicy(req.bucket(), json)) throw new S3Exception(S3Error.NO_SUCH_BUCKET);
        Responses.empty(req.exchange(), 204);
    }

    public void delete(S3Request req) {
        ctx.requireBucket(req.bucket());
        ctx.access().deletePolicy(req.bucket()); // deleting what is not there succeeds, as on S3
        Responses.empty(req.exchange(), 204);
    }
}
