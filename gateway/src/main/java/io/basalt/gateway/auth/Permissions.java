package io.basalt.gateway.auth;

import io.basalt.gateway.handlers.CopySource;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Operation;
import io.basalt.gateway.s3.S3Request;
import io.basalt.proto.meta.BucketGrant;
import java.util.Optional;

/**
 * Whether an authenticated key may run an operation. The root key may do everything. Any other
 * key: an explicit Deny of the bucket's policy refuses; otherwise its grant in the bucket (Garage's
 * model: read, write, owner) or an Allow of the policy permits; nothing permits what is the
 * cluster's own business (creating buckets, MinIO's admin API). A refusal is 403 AccessDenied, also
 * for a bucket that does not exist, so a key learns nothing of buckets it may not use.
 */
public final class Permissions {

    private static final String GET_OBJECT = "s3:GetObject";
    private static final String DELETE_OBJECT = "s3:DeleteObject";

    private final Credentials root;
    private final AccessCache access; // null: only the root key exists

    public Permissions(Credentials root, AccessCache access) {
        this.root = root;
        this.access = access;
    }

    /** Refuses the request unless its key may run {@code op} on what it names. */
    public void require(S3Request req, S3Operation op) {
        String key = req.accessKeyId();
        if (root.isRoot(key)) return;
        switch (op.needs()) {
            case ANY_KEY -> {}
            case ROOT -> throw denied();
            case READ, WRITE, OWNER -> {
                if (op == S3Operation.DELETE_OBJECTS) {
                    // decided key by key in the handler (mayDelete); here only whether any could be allowed
                    boolean couldBeAllowed = granted(req.bucket(), key, S3Operation.Needs.WRITE)
                            || policy(req.bucket())
                                    .map(p -> p.mayAllow(key, DELETE_OBJECT))
                                    .orElse(false);
                    if (!couldBeAllowed) throw denied();
                    break;
                }
                String resource =
                        req.key() == null ? BucketPolicy.arn(req.bucket()) : BucketPolicy.arn(req.bucket(), req.key());
                if (!permitted(key, req.bucket(), op.needs(), op.action(req), resource)) throw denied();
            }
        }
        if (op == S3Operation.COPY_OBJECT || op == S3Operation.UPLOAD_PART_COPY) {
            // a copy reads its source: a key that may write here but not read there must not copy from there
            CopySource source = CopySource.parse(req.header("x-amz-copy-source"));
            if (!permitted(
                    key,
                    source.bucket(),
                    S3Operation.Needs.READ,
                    source.versionId() == null ? GET_OBJECT : "s3:GetObjectVersion",
                    BucketPolicy.arn(source.bucket(), source.key()))) throw denied();
        }
    }

    /**
     * Whether the request's key may delete {@code objectKey} (a version of it when {@code versionId} is not
     * null) in the request's bucket: DeleteObjects, key by key.
     */
    public boolean mayDelete(S3Request req, String objectKey, String versionId) {
        String key = req.accessKeyId();
        return root.isRoot(key)
                || permitted(
                        key,
                        req.bucket(),
                        S3Operation.Needs.WRITE,
                        versionId == null ? DELETE_OBJECT : S3Operation.DELETE_OBJECT_VERSION,
                        BucketPolicy.arn(req.bucket(), objectKey));
    }

    /** Whether ListBuckets shows {@code bucket} to the key: to the root key all, to another those it has a grant in. */
    public boolean mayList(String accessKeyId, String bucket) {
        if (root.isRoot(accessKeyId)) return true;
        return grant(bucket, accessKeyId)
                .map(g -> g.getRead() || g.getWrite() || g.getOwner())
                .orElse(false);
    }

    private boolean permitted(String key, String bucket, S3Operation.Needs needs, String action, String resource) {
        BucketPolicy.Decision d = action == null
                ? BucketPolicy.Decision.NONE
                : policy(bucket).map(p -> p.evaluate(key, action, resource)).orElse(BucketPolicy.Decision.NONE);
        if (d == BucketPolicy.Decision.DENY) return false;
        return granted(bucket, key, needs) || d == BucketPolicy.Decision.ALLOW;
    }

    private boolean granted(String bucket, String key, S3Operation.Needs needs) {
        Optional<BucketGrant> grant = grant(bucket, key);
        if (grant.isEmpty()) return false;
        BucketGrant g = grant.get();
        return switch (needs) {
            case READ -> g.getRead();
            case WRITE -> g.getWrite();
            case OWNER -> g.getOwner();
            case ANY_KEY -> true;
            case ROOT -> false;
        };
    }

    private Optional<BucketGrant> grant(String bucket, String accessKeyId) {
        return access == null ? Optional.empty() : access.grant(bucket, accessKeyId);
    }

    private Optional<BucketPolicy> policy(String bucket) {
        return access == null ? Optional.empty() : access.policy(bucket);
    }

    private static S3Exception denied() {
        return new S3Exception(S3Error.ACCESS_DENIED, "Access Denied.");
    }
}
