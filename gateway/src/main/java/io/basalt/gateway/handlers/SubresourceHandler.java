package io.basalt.gateway.handlers;

import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Operation;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;
import java.util.List;

/**
 * Bucket and object subresources ({@code ?acl}, {@code ?policy}, ...) other than those of the
 * operation families. The probes common tools make are answered as an unversioned us-east-1
 * bucket without configuration would; every other subresource is refused with 501.
 */
public final class SubresourceHandler {

    private final S3Context ctx;
    private final String ownerId;

    public SubresourceHandler(S3Context ctx, String ownerId) {
        this.ctx = ctx;
        this.ownerId = ownerId;
    }

    public void bucketAcl(S3Request req) {
        ctx.requireBucket(req.bucket());
        acl(req);
    }

    public void objectAcl(S3Request req) {
        requireObject(req);
        acl(req);
    }

    /**
     * PutBucketAcl and PutObjectAcl with the canned private ACL (or none): what the bucket or object has
     * already, so 200 and nothing changes. Other canned ACLs and grant headers were refused before
     * ({@link io.basalt.gateway.s3.UnhonouredHeaders}); an ACL document is refused here.
     */
    public void putBucketAcl(S3Request req) {
        ctx.requireBucket(req.bucket());
        privateOnly(req);
    }

    public void putObjectAcl(S3Request req) {
        requireObject(req);
        privateOnly(req);
    }

    private static void privateOnly(S3Request req) {
        if (req.contentLength() > 0 || req.header("Transfer-Encoding") != null) {
            throw new S3Exception(
                    S3Error.NOT_IMPLEMENTED,
                    "ACL documents are not supported: only the canned private ACL, which every bucket and object has.");
        }
        Responses.empty(req.exchange(), 200);
    }

    // A bucket here never has any of these configurations.

    public void bucketTagging(S3Request req) {
        absent(req, S3Error.NO_SUCH_TAG_SET);
    }

    public void bucketCors(S3Request req) {
        absent(req, S3Error.NO_SUCH_CORS_CONFIGURATION);
    }

    public void bucketEncryption(S3Request req) {
        absent(req, S3Error.SSE_CONFIGURATION_NOT_FOUND);
    }

    public void objectLockConfiguration(S3Request req) {
        absent(req, S3Error.OBJECT_LOCK_CONFIGURATION_NOT_FOUND);
    }

    /** 501 for a subresource nobody serves, or several named at once. */
    public static void notImplemented(S3Request req) {
        List<String> named = S3Operation.subresources(req);
        String what = named.size() == 1 ? req.method() + " ?" + named.get(0) : String.join(", ", named);
        throw new S3Exception(S3Error.NOT_IMPLEMENTED, "Basalt does not implement " + what + ".");
    }

    private void absent(S3Request req, S3Error error) {
        ctx.requireBucket(req.bucket());
        throw new S3Exception(error);
    }

    private void requireObject(S3Request req) {
        ctx.requireBucket(req.bucket());
        if (ctx.meta().getObject(req.bucket(), req.key()).isEmpty()) throw new S3Exception(S3Error.NO_SUCH_KEY);
    }

    /** The one account owns everything, with full control. */
    private void acl(S3Request req) {
        Xml doc = new Xml()
                .root("AccessControlPolicy")
                .open("Owner")
                .element("ID", ownerId)
                .element("DisplayName", ownerId)
                .close("Owner")
                .open("AccessControlList")
                .open("Grant")
                .open("Grantee", "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance", "xsi:type", "CanonicalUser")
                .element("ID", ownerId)
                .element("DisplayName", ownerId)
                .close("Grantee")
                .element("Permission", "FULL_CONTROL")
                .close("Grant")
                .close("AccessControlList")
                .close("AccessControlPolicy");
        Responses.xml(req.exchange(), 200, doc);
    }
}
