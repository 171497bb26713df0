package io.basalt.gateway.handlers;

import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bucket and object subresources ({@code ?acl}, {@code ?policy}, ...). Runs before the
 * router's plain dispatch so that a subresource request is never mistaken for an operation on
 * the bucket or object itself ({@code PUT /b?policy} must not create a bucket,
 * {@code DELETE /b/k?tagging} must not delete the object). The probes common tools make are
 * answered as an unversioned us-east-1 bucket without configuration would; the rest is 501.
 */
public final class SubresourceHandler {

    /** S3's subresource names; other query parameters (prefix, max-keys, X-Amz-*, ...) are not. */
    static final Set<String> SUBRESOURCES = Set.of("accelerate", "acl", "analytics", "attributes", "cors", "delete",
            "encryption", "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging",
            "metadataConfiguration", "metadataTable", "metrics", "notification", "object-lock", "ownershipControls",
            "policy", "policyStatus", "publicAccessBlock", "renameObject", "replication", "requestPayment", "restore",
            "retention", "select", "select-type", "session", "tagging", "torrent", "uploadId", "uploads", "versioning",
            "versions", "website");

    /** Combinations the router dispatches to an operation handler: "METHOD target subresource". */
    private static final Set<String> ROUTED = Set.of(
            "GET bucket location", "GET bucket uploads", "GET bucket versions", "POST bucket delete",
            "POST object uploads", "PUT object uploadId", "GET object uploadId", "DELETE object uploadId",
            "POST object uploadId");

    private static final Map<String, S3Error> ABSENT_BUCKET_CONFIG = Map.of(
            "tagging", S3Error.NO_SUCH_TAG_SET,
            "lifecycle", S3Error.NO_SUCH_LIFECYCLE_CONFIGURATION,
            "policy", S3Error.NO_SUCH_BUCKET_POLICY,
            "cors", S3Error.NO_SUCH_CORS_CONFIGURATION,
            "encryption", S3Error.SSE_CONFIGURATION_NOT_FOUND,
            "object-lock", S3Error.OBJECT_LOCK_CONFIGURATION_NOT_FOUND);

    private final S3Context ctx;
    private final String ownerId;

    public SubresourceHandler(S3Context ctx, String ownerId) {
        this.ctx = ctx;
        this.ownerId = ownerId;
    }

    /**
     * Whether {@link #handle} answers this request (or refuses it) rather than leaving it to the
     * router; decides only, so the router can name the operation before running anything.
     */
    public static boolean serves(S3Request req) {
        List<String> named = new ArrayList<>();
        for (String q : req.query().keySet()) {
            if (SUBRESOURCES.contains(q)) named.add(q);
        }
        if (named.isEmpty()) return false;
        if (named.size() > 1) return true;
        return !ROUTED.contains(req.method() + (req.key() != null ? " object " : " bucket ") + named.get(0));
    }

    /**
     * Answers the request when it names a subresource this class serves, refuses it (501) when it
     * names one nobody serves, and returns false when the router should dispatch it.
     */
    public boolean handle(S3Request req) {
        boolean object = req.key() != null;
        String versionId = req.queryParam("versionId");
        // Every object's only version is "null"; any other id names a version that cannot exist.
        if (object && versionId != null && !versionId.equals("null")) throw new S3Exception(S3Error.NO_SUCH_VERSION);
        List<String> named = new ArrayList<>();
        for (String q : req.query().keySet()) {
            if (SUBRESOURCES.contains(q)) named.add(q);
        }
        String method = req.method();
        if (named.isEmpty()) return false;
        if (named.size() > 1) throw notImplemented(String.join(", ", named));
        String sub = named.get(0);
        String combo = method + (object ? " object " : " bucket ") + sub;
        if (ROUTED.contains(combo)) return false;
        switch (combo) {
            case "GET bucket versioning" -> {
                ctx.requireBucket(req.bucket());
                Responses.xml(req.exchange(), 200, new Xml().root("VersioningConfiguration").close("VersioningConfiguration"));
            }
            case "GET bucket acl" -> {
                ctx.requireBucket(req.bucket());
                acl(req);
            }
            case "GET object acl" -> {
                requireObject(req);
                acl(req);
            }
            case "GET object tagging" -> {
                requireObject(req);
                Responses.xml(req.exchange(), 200, new Xml().root("Tagging").empty("TagSet").close("Tagging"));
            }
            default -> {
                S3Error absent = ABSENT_BUCKET_CONFIG.get(sub);
                if (absent == null || object || !method.equals("GET")) throw notImplemented(method + " ?" + sub);
                ctx.requireBucket(req.bucket());
                throw new S3Exception(absent);
            }
        }
        return true;
    }

    private void requireObject(S3Request req) {
        ctx.requireBucket(req.bucket());
        if (ctx.meta().getObject(req.bucket(), req.key()).isEmpty()) throw new S3Exception(S3Error.NO_SUCH_KEY);
    }

    /** The one account owns everything, with full control. */
    private void acl(S3Request req) {
        Xml doc = new Xml().root("AccessControlPolicy")
                .open("Owner").element("ID", ownerId).element("DisplayName", ownerId).close("Owner")
                .open("AccessControlList").open("Grant")
                .open("Grantee", "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance", "xsi:type", "CanonicalUser")
                .element("ID", ownerId).element("DisplayName", ownerId).close("Grantee")
                .element("Permission", "FULL_CONTROL")
                .close("Grant").close("AccessControlList")
                .close("AccessControlPolicy");
        Responses.xml(req.exchange(), 200, doc);
    }

    private static S3Exception notImplemented(String what) {
        return new S3Exception(S3Error.NOT_IMPLEMENTED, "Basalt does not implement " + what + ".");
    }
}
