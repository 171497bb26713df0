package io.basalt.core.meta;

import io.basalt.proto.meta.AccessKeyRecord;
import io.basalt.proto.meta.BucketGrant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Who may do what: S3 access keys other than the root key, what each may do in which bucket, and
 * bucket policies (kept as the JSON their owner put; the gateway parses and evaluates them).
 */
public interface AccessStore {

    /** Stores a new key; false when a key with its id exists. */
    boolean create(AccessKeyRecord key);

    Optional<AccessKeyRecord> get(String accessKeyId);

    /** Every key, by id. */
    List<AccessKeyRecord> list();

    /** Deletes the key and its grants; false when there was no such key. */
    boolean delete(String accessKeyId);

    /** What the outcome of {@link #grant} was. */
    enum GrantResult {
        DONE,
        NO_SUCH_KEY,
        NO_SUCH_BUCKET
    }

    /** Sets what the key may do in the bucket (replacing what it could); both must exist. */
    GrantResult grant(String bucket, String accessKeyId, BucketGrant grant);

    /** Takes every permission in the bucket away from the key; false when it had none. */
    boolean revoke(String bucket, String accessKeyId);

    Optional<BucketGrant> grantOf(String bucket, String accessKeyId);

    /** The key's grants, by bucket name. */
    Map<String, BucketGrant> grantsOf(String accessKeyId);

    /** Sets the bucket's policy; false when there is no such bucket. */
    boolean putPolicy(String bucket, String json);

    Optional<String> policy(String bucket);

    /** Removes the bucket's policy; false when it had none. */
    boolean deletePolicy(String bucket);

    /** A key, a grant or a policy changed: which one, as the watch saw it. */
    sealed interface Change {
        record Key(String accessKeyId) implements Change {}

        record Grant(String bucket, String accessKeyId) implements Change {}

        record Policy(String bucket) implements Change {}
    }

    /**
     * Calls {@code changed} for every change to keys, grants and policies from now on; {@code failed} when the
     * watch breaks (the caller then forgets what it cached and watches again).
     */
    Subscription watch(Consumer<Change> changed, Consumer<Throwable> failed);
}
