package io.basalt.gateway.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The S3 operations the gateway answers, and the one table ({@link #of}) that tells which one a
 * request is from its method, what it names (the service, a bucket or an object) and the
 * subresource in its query. The router runs the operation's handler and counts the request under
 * the operation's {@link #label}. A new operation is a constant and a row here, a handler method,
 * and the line in the router that calls it.
 */
public enum S3Operation {
    ADMIN_INFO("AdminInfo", Needs.ROOT, null),
    LIST_BUCKETS("ListBuckets", Needs.ANY_KEY, null),

    CREATE_BUCKET("CreateBucket", Needs.ROOT, null),
    HEAD_BUCKET("HeadBucket", Needs.READ, "s3:ListBucket"),
    DELETE_BUCKET("DeleteBucket", Needs.OWNER, "s3:DeleteBucket"),
    GET_BUCKET_LOCATION("GetBucketLocation", Needs.READ, "s3:GetBucketLocation"),
    LIST_OBJECTS("ListObjects", Needs.READ, "s3:ListBucket"),
    LIST_OBJECTS_V2("ListObjectsV2", Needs.READ, "s3:ListBucket"),
    LIST_OBJECT_VERSIONS("ListObjectVersions", Needs.READ, "s3:ListBucketVersions"),
    LIST_MULTIPART_UPLOADS("ListMultipartUploads", Needs.READ, "s3:ListBucketMultipartUploads"),
    DELETE_OBJECTS("DeleteObjects", Needs.WRITE, "s3:DeleteObject"),

    PUT_OBJECT("PutObject", Needs.WRITE, "s3:PutObject"),
    COPY_OBJECT("CopyObject", Needs.WRITE, "s3:PutObject"),
    GET_OBJECT("GetObject", Needs.READ, "s3:GetObject"),
    HEAD_OBJECT("HeadObject", Needs.READ, "s3:GetObject"),
    DELETE_OBJECT("DeleteObject", Needs.WRITE, "s3:DeleteObject"),
    CREATE_MULTIPART_UPLOAD("CreateMultipartUpload", Needs.WRITE, "s3:PutObject"),
    UPLOAD_PART("UploadPart", Needs.WRITE, "s3:PutObject"),
    UPLOAD_PART_COPY("UploadPartCopy", Needs.WRITE, "s3:PutObject"),
    LIST_PARTS("ListParts", Needs.READ, "s3:ListMultipartUploadParts"),
    COMPLETE_MULTIPART_UPLOAD("CompleteMultipartUpload", Needs.WRITE, "s3:PutObject"),
    ABORT_MULTIPART_UPLOAD("AbortMultipartUpload", Needs.WRITE, "s3:AbortMultipartUpload"),
    GET_OBJECT_TAGGING("GetObjectTagging", Needs.READ, "s3:GetObjectTagging"),
    PUT_OBJECT_TAGGING("PutObjectTagging", Needs.WRITE, "s3:PutObjectTagging"),
    DELETE_OBJECT_TAGGING("DeleteObjectTagging", Needs.WRITE, "s3:DeleteObjectTagging"),

    GET_BUCKET_POLICY("GetBucketPolicy", Needs.OWNER, "s3:GetBucketPolicy"),
    PUT_BUCKET_POLICY("PutBucketPolicy", Needs.OWNER, "s3:PutBucketPolicy"),
    DELETE_BUCKET_POLICY("DeleteBucketPolicy", Needs.OWNER, "s3:DeleteBucketPolicy"),
    GET_BUCKET_VERSIONING("GetBucketVersioning", Needs.READ, "s3:GetBucketVersioning"),
    PUT_BUCKET_VERSIONING("PutBucketVersioning", Needs.OWNER, "s3:PutBucketVersioning"),
    GET_BUCKET_LIFECYCLE("GetBucketLifecycleConfiguration", Needs.READ, "s3:GetLifecycleConfiguration"),
    // lifecycle rules delete objects: the bucket owner's to set
    PUT_BUCKET_LIFECYCLE("PutBucketLifecycleConfiguration", Needs.OWNER, "s3:PutLifecycleConfiguration"),
    DELETE_BUCKET_LIFECYCLE("DeleteBucketLifecycle", Needs.OWNER, "s3:PutLifecycleConfiguration"),

    // The probes tools make, answered as an unversioned bucket without configuration would.
    GET_BUCKET_ACL("GetBucketAcl", Needs.READ, "s3:GetBucketAcl", Labels.SUBRESOURCE),
    GET_OBJECT_ACL("GetObjectAcl", Needs.READ, "s3:GetObjectAcl", Labels.SUBRESOURCE),
    /** Only the canned private ACL, which is what everything here has: tools set it after a PUT. */
    PUT_BUCKET_ACL("PutBucketAcl", Needs.OWNER, "s3:PutBucketAcl", Labels.SUBRESOURCE),
    PUT_OBJECT_ACL("PutObjectAcl", Needs.WRITE, "s3:PutObjectAcl", Labels.SUBRESOURCE),
    GET_BUCKET_TAGGING("GetBucketTagging", Needs.READ, "s3:GetBucketTagging", Labels.SUBRESOURCE),
    GET_BUCKET_CORS("GetBucketCors", Needs.READ, "s3:GetBucketCORS", Labels.SUBRESOURCE),
    GET_BUCKET_ENCRYPTION("GetBucketEncryption", Needs.READ, "s3:GetEncryptionConfiguration", Labels.SUBRESOURCE),
    GET_OBJECT_LOCK_CONFIGURATION(
            "GetObjectLockConfiguration", Needs.READ, "s3:GetBucketObjectLockConfiguration", Labels.SUBRESOURCE),

    // Refusals. They are operations too so that they are refused only after authentication.
    /** A subresource nobody serves here, or several at once: 501. */
    NOT_IMPLEMENTED("NotImplemented", Needs.ANY_KEY, null, Labels.SUBRESOURCE),
    /** A method that means nothing on what the request names: 405. */
    NOT_ALLOWED("MethodNotAllowed", Needs.ANY_KEY, null, Labels.UNKNOWN);

    /** What an access key must be allowed for the operation (see {@code Permissions}). */
    public enum Needs {
        /** Any authenticated key: the answer shows only what the key may see, or refuses anyway. */
        ANY_KEY,
        READ,
        WRITE,
        OWNER,
        /** The root key only: the cluster's own business. */
        ROOT
    }

    /** Metrics labels shared by several operations. */
    private static final class Labels {
        // One label for every probe and refusal of a subresource: the set of labels stays small and fixed.
        static final String SUBRESOURCE = "Subresource";
        static final String UNKNOWN = "Unknown";
    }

    /** S3's subresource names; other query parameters (prefix, max-keys, X-Amz-*, ...) are not. */
    private static final Set<String> SUBRESOURCES = Set.of(
            "accelerate",
            "acl",
            "analytics",
            "attributes",
            "cors",
            "delete",
            "encryption",
            "intelligent-tiering",
            "inventory",
            "legal-hold",
            "lifecycle",
            "location",
            "logging",
            "metadataConfiguration",
            "metadataTable",
            "metrics",
            "notification",
            "object-lock",
            "ownershipControls",
            "policy",
            "policyStatus",
            "publicAccessBlock",
            "renameObject",
            "replication",
            "requestPayment",
            "restore",
            "retention",
            "select",
            "select-type",
            "session",
            "tagging",
            "torrent",
            "uploadId",
            "uploads",
            "versioning",
            "versions",
            "website");

    /** MinIO reserves this bucket name for its own APIs, so path-style /minio/admin/... never names a user object. */
    private static final String MINIO_BUCKET = "minio";

    private final String s3Name;
    private final Needs needs;
    private final String action;
    private final String label;

    S3Operation(String s3Name, Needs needs, String action) {
        this(s3Name, needs, action, s3Name);
    }

    S3Operation(String s3Name, Needs needs, String action, String label) {
        this.s3Name = s3Name;
        this.needs = needs;
        this.action = action;
        this.label = label;
    }

    /** What a key's grant in the request's bucket must allow to run it. */
    public Needs needs() {
        return needs;
    }

    /** The action a bucket policy names it by ({@code s3:GetObject}); null where no bucket policy applies. */
    public String action() {
        return action;
    }

    /**
     * The action a bucket policy names this request by: S3 names an operation on a named version by its own
     * action ({@code s3:DeleteObjectVersion}), so a policy that denies removing versions for good is kept.
     */
    public String action(S3Request req) {
        if (req.queryParam("versionId") == null) return action;
        return switch (this) {
            case GET_OBJECT, HEAD_OBJECT -> "s3:GetObjectVersion";
            case DELETE_OBJECT -> DELETE_OBJECT_VERSION;
            case GET_OBJECT_TAGGING -> "s3:GetObjectVersionTagging";
            case PUT_OBJECT_TAGGING -> "s3:PutObjectVersionTagging";
            case DELETE_OBJECT_TAGGING -> "s3:DeleteObjectVersionTagging";
            default -> action;
        };
    }

    /** The policy action of removing one version for good (also per key in DeleteObjects). */
    public static final String DELETE_OBJECT_VERSION = "s3:DeleteObjectVersion";

    /** The operation's name in the S3 API reference. */
    public String s3Name() {
        return s3Name;
    }

    /** What the request metrics count it as. */
    public String label() {
        return label;
    }

    /**
     * The operation a request asks for. Decides only, from the request line and headers, so that it
     * can run before authentication and name even a refused request in the metrics.
     *
     * @param adminApi whether MinIO's admin API is served (else /minio/admin/... is an object like any other)
     */
    public static S3Operation of(S3Request req, boolean adminApi) {
        if (adminApi
                && !req.virtualHosted()
                && MINIO_BUCKET.equals(req.bucket())
                && req.key() != null
                && req.key().startsWith("admin/")) {
            return ADMIN_INFO;
        }
        // The service itself: ListBuckets, whatever the query says.
        if (req.bucket() == null) return req.method().equals("GET") ? LIST_BUCKETS : NOT_ALLOWED;
        List<String> named = subresources(req);
        if (named.size() > 1) return NOT_IMPLEMENTED;
        String shape = req.method()
                + (req.key() == null ? " /bucket" : " /bucket/key")
                + (named.isEmpty() ? "" : "?" + named.get(0));
        boolean copy = req.header("x-amz-copy-source") != null;
        return switch (shape) {
            case "PUT /bucket" -> CREATE_BUCKET;
            case "HEAD /bucket" -> HEAD_BUCKET;
            case "DELETE /bucket" -> DELETE_BUCKET;
            case "GET /bucket" -> "2".equals(req.queryParam("list-type")) ? LIST_OBJECTS_V2 : LIST_OBJECTS;
            case "GET /bucket?location" -> GET_BUCKET_LOCATION;
            case "GET /bucket?versions" -> LIST_OBJECT_VERSIONS;
            case "GET /bucket?uploads" -> LIST_MULTIPART_UPLOADS;
            case "POST /bucket?delete" -> DELETE_OBJECTS;
            case "GET /bucket?versioning" -> GET_BUCKET_VERSIONING;
            case "PUT /bucket?versioning" -> PUT_BUCKET_VERSIONING;
            case "GET /bucket?acl" -> GET_BUCKET_ACL;
            case "PUT /bucket?acl" -> PUT_BUCKET_ACL;
            case "GET /bucket?tagging" -> GET_BUCKET_TAGGING;
            case "GET /bucket?lifecycle" -> GET_BUCKET_LIFECYCLE;
            case "PUT /bucket?lifecycle" -> PUT_BUCKET_LIFECYCLE;
            case "DELETE /bucket?lifecycle" -> DELETE_BUCKET_LIFECYCLE;
            case "GET /bucket?policy" -> GET_BUCKET_POLICY;
            case "PUT /bucket?policy" -> PUT_BUCKET_POLICY;
            case "DELETE /bucket?policy" -> DELETE_BUCKET_POLICY;
            case "GET /bucket?cors" -> GET_BUCKET_CORS;
            case "GET /bucket?encryption" -> GET_BUCKET_ENCRYPTION;
            case "GET /bucket?object-lock" -> GET_OBJECT_LOCK_CONFIGURATION;

            case "PUT /bucket/key" -> copy ? COPY_OBJECT : PUT_OBJECT;
            case "GET /bucket/key" -> GET_OBJECT;
            case "HEAD /bucket/key" -> HEAD_OBJECT;
            case "DELETE /bucket/key" -> DELETE_OBJECT;
            case "POST /bucket/key?uploads" -> CREATE_MULTIPART_UPLOAD;
            case "PUT /bucket/key?uploadId" -> copy ? UPLOAD_PART_COPY : UPLOAD_PART;
            case "GET /bucket/key?uploadId" -> LIST_PARTS;
            case "POST /bucket/key?uploadId" -> COMPLETE_MULTIPART_UPLOAD;
            case "DELETE /bucket/key?uploadId" -> ABORT_MULTIPART_UPLOAD;
            case "GET /bucket/key?acl" -> GET_OBJECT_ACL;
            case "PUT /bucket/key?acl" -> PUT_OBJECT_ACL;
            case "GET /bucket/key?tagging" -> GET_OBJECT_TAGGING;
            case "PUT /bucket/key?tagging" -> PUT_OBJECT_TAGGING;
            case "DELETE /bucket/key?tagging" -> DELETE_OBJECT_TAGGING;

            // Never the plain call instead: PUT /b?policy must not create a bucket, nor
            // DELETE /b/k?tagging delete the object.
            default -> named.isEmpty() ? NOT_ALLOWED : NOT_IMPLEMENTED;
        };
    }

    /** The subresources a request's query names, in the order sent. */
    public static List<String> subresources(S3Request req) {
        List<String> named = new ArrayList<>();
        for (String q : req.query().keySet()) {
            if (SUBRESOURCES.contains(q)) named.add(q);
        }
        return named;
    }
}
