package io.basalt.core.meta;

import io.basalt.core.data.SegmentHealer;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.LifecycleConfiguration;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.UploadRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Cluster metadata: buckets, object records, multipart uploads and the garbage queue.
 * With the other interfaces of this package ({@link ClusterMetadata} hands them all out) the only
 * way to the metadata, so the key space can later be partitioned over several etcd clusters.
 * Every mutation is a single transaction: an object record and the garbage entries for the
 * shard sets it replaces change together or not at all.
 */
public interface MetadataStore extends AutoCloseable {

    enum BucketDeletion {
        DELETED,
        NO_SUCH_BUCKET,
        NOT_EMPTY
    }

    enum PutOutcome {
        COMMITTED,
        NO_SUCH_BUCKET,
        PRECONDITION_FAILED,
        /** If-Match named an object that is not there. */
        NO_SUCH_KEY
    }

    /**
     * Conditions a PUT may carry: {@code ifNoneMatchAny} is S3's {@code If-None-Match: *} (only if
     * absent); {@code ifMatch} is its {@code If-Match} (only if present, and with one of these ETags
     * unless it is "*"), null when not sent. Checked in the commit's transaction, so two writers
     * cannot both pass.
     */
    record PutCondition(boolean ifNoneMatchAny, String ifMatch) {
        public static final PutCondition NONE = new PutCondition(false, null);

        /** Whether an object with {@code etag} (unquoted; null: none) may be replaced under this condition. */
        public boolean allows(String etag) {
            if (etag != null && ifNoneMatchAny) return false;
            if (ifMatch == null) return true;
            if (etag == null) return false;
            for (String e : ifMatch.split(",")) {
                String t = e.strip();
                if (t.startsWith("W/")) t = t.substring(2); // a weak ETag compares as its value
                if (t.equals("*") || t.replace("\"", "").equals(etag)) return true;
            }
            return false;
        }
    }

    /** One stored object as a listing sees it. */
    record ListedObject(String key, ObjectRecord record) {}

    /** A bucket's versioning: never configured, Enabled, or Suspended (S3 cannot turn it off again). */
    enum Versioning {
        UNVERSIONED,
        ENABLED,
        SUSPENDED
    }

    /** What a write committed: its S3 version id, null in a bucket whose versioning was never configured. */
    record PutResult(PutOutcome outcome, String versionId) {}

    /**
     * What a delete did: {@code versionId} is the version removed, or the delete marker made (then {@code
     * deleteMarker}); {@code deleteMarker} is also true when the version removed was a marker. Both null/false
     * in an unversioned bucket. {@code bucketFound} false: the bucket does not exist, nothing was done.
     */
    record DeleteResult(String versionId, boolean deleteMarker, boolean bucketFound) {
        public static final DeleteResult UNVERSIONED = new DeleteResult(null, false);
        public static final DeleteResult NO_SUCH_BUCKET = new DeleteResult(null, false, false);

        public DeleteResult(String versionId, boolean deleteMarker) {
            this(versionId, deleteMarker, true);
        }
    }

    /**
     * A noncurrent version or delete marker of a versioned bucket: its key, its place in the bucket's
     * versions (to resume a scan after it) and its record.
     */
    record ListedVersion(String key, String position, ObjectRecord record) {}

    /** The S3 version id of a record: its id when written under Enabled versioning, else "null". */
    static String s3VersionId(ObjectRecord r) {
        return r.getVersioned() ? r.getVersionId() : NULL_VERSION;
    }

    String NULL_VERSION = "null";

    boolean createBucket(BucketRecord bucket);

    Optional<BucketRecord> getBucket(String name);

    List<BucketRecord> listBuckets();

    BucketDeletion deleteBucket(String name);

    /** Sets the bucket's lifecycle configuration, replacing any. False when there is no such bucket. */
    boolean putLifecycle(String bucket, LifecycleConfiguration configuration);

    Optional<LifecycleConfiguration> getLifecycle(String bucket);

    /** Removes the bucket's lifecycle configuration; nothing there is not an error. */
    void deleteLifecycle(String bucket);

    /** Every bucket's lifecycle configuration, by bucket name. */
    Map<String, LifecycleConfiguration> lifecycles();

    Versioning versioning(String bucket);

    /** PutBucketVersioning: Enabled or Suspended. False when there is no such bucket. */
    boolean setVersioning(String bucket, boolean enabled);

    /** The current version of a key (never a delete marker: a key whose latest version is one has none). */
    Optional<ObjectRecord> getObject(String bucket, String key);

    /**
     * A version of a key by its S3 version id ("null" included), a delete marker too; with {@code versionId}
     * null the latest version, which may be a delete marker. Empty when there is none.
     */
    Optional<ObjectRecord> getVersion(String bucket, String key, String versionId);

    /**
     * Every version of a key that holds data: the current one first, then the noncurrent ones, newest first
     * (what heal and moves search for a segment).
     */
    List<ObjectRecord> versionsWithData(String bucket, String key);

    /**
     * Commits {@code record} as the current version. In an unversioned bucket, or over a "null" version, the
     * version it replaces has its segments queued as garbage; under Enabled versioning the replaced version
     * stays, noncurrent (and the record gets a version id of its own).
     */
    PutResult put(String bucket, String key, ObjectRecord record, PutCondition condition);

    default PutOutcome putObject(String bucket, String key, ObjectRecord record, PutCondition condition) {
        return put(bucket, key, record, condition).outcome();
    }

    /**
     * DeleteObject. With {@code versionId} null: in an unversioned bucket removes the key (its segments queued
     * as garbage); in a versioned one makes a delete marker the latest version (Suspended: a "null" one, which
     * replaces the null version). With a version id: removes that version for good, and the next newest, if it
     * is not a delete marker, becomes current. A key that is not there is a success with nothing done; a bucket
     * that is not there is {@link DeleteResult#NO_SUCH_BUCKET}.
     */
    DeleteResult delete(String bucket, String key, String versionId);

    /** Removes the key (in a versioned bucket: hides it behind a delete marker). Empty when there was nothing. */
    Optional<ObjectRecord> deleteObject(String bucket, String key);

    /**
     * Noncurrent versions and delete markers of {@code bucket} after {@code fromPosition} (a {@link
     * ListedVersion#position}, or a key: then from its first version), in key order and newest first within a
     * key, up to {@code limit}.
     */
    default List<ListedVersion> scanVersions(String bucket, String fromPosition, boolean inclusive, int limit) {
        return scanVersions(bucket, fromPosition, inclusive, limit, 0);
    }

    /** As above, as of metadata revision {@code revision} (0: the latest). */
    List<ListedVersion> scanVersions(String bucket, String fromPosition, boolean inclusive, int limit, long revision);

    /**
     * Changes what an object's record says about it (its tags) in place, atomically against any other
     * write of the key: {@code change} may be called again after a lost race and must leave the data
     * (segments, version id) as they are. Empty when there is no such object.
     */
    Optional<ObjectRecord> updateObject(String bucket, String key, UnaryOperator<ObjectRecord> change);

    /**
     * Expires the current version of a key only while it is still the one with internal {@code versionId}
     * (lifecycle expiry must not end an object overwritten since it was judged): deleted, its segments queued
     * as garbage, or in a versioned bucket hidden behind a delete marker.
     */
    boolean deleteObjectVersion(String bucket, String key, String versionId);

    /**
     * Objects of {@code bucket} whose keys are {@code >= fromKey} (or {@code > fromKey} when not
     * inclusive) and {@code < toKeyExclusive} (null: to the end of the bucket), in key order.
     */
    default List<ListedObject> scanObjects(
            String bucket, String fromKey, boolean inclusive, String toKeyExclusive, int limit) {
        return scanObjects(bucket, fromKey, inclusive, toKeyExclusive, limit, 0);
    }

    /** As above, as of metadata revision {@code revision} ({@link #revision()}; 0: the latest). */
    List<ListedObject> scanObjects(
            String bucket, String fromKey, boolean inclusive, String toKeyExclusive, int limit, long revision);

    /**
     * The metadata's current revision: scans at one revision see every object record as of one moment, so a
     * version moving between current and noncurrent meanwhile is seen exactly once.
     */
    long revision();

    boolean createUpload(UploadRecord upload);

    Optional<UploadRecord> getUpload(String bucket, String uploadId);

    /**
     * Records a part of {@code upload} (as read from this store); a part it replaces is queued as garbage. False
     * when the upload is gone.
     */
    boolean putPart(UploadRecord upload, PartRecord part);

    /** An upload and its parts as of one revision. */
    record UploadState(UploadRecord upload, long revision, List<PartRecord> parts) {}

    enum CompleteOutcome {
        COMPLETED,
        NO_SUCH_UPLOAD,
        PARTS_CHANGED
    }

    Optional<UploadState> getUploadState(String bucket, String uploadId);

    /**
     * Atomically turns an upload into an object: the object record is written, the upload
     * and its parts removed, and parts not used plus any replaced version queued as garbage.
     * Refused when a part changed since {@code state} was read.
     */
    default CompleteOutcome completeUpload(UploadState state, ObjectRecord record, List<PartRecord> unusedParts) {
        return complete(state, record, unusedParts).outcome();
    }

    /** What a completion did, and the version id the object got (null in an unversioned bucket). */
    record Completed(CompleteOutcome outcome, String versionId) {}

    /** {@link #completeUpload}, saying the version id. */
    Completed complete(UploadState state, ObjectRecord record, List<PartRecord> unusedParts);

    /** Removes an upload and queues all its parts as garbage. False when it did not exist. */
    boolean abortUpload(String bucket, String uploadId);

    List<UploadRecord> listUploads(String bucket);

    /** The parts recorded for upload {@code uploadId}, in part order; unreadable ones are left out. */
    List<PartRecord> listParts(String uploadId);

    /** Asks for shards of a committed segment to be rebuilt (found corrupt or lost). */
    void queueHeal(HealRecord heal);

    /**
     * Swaps rebuilt shards into the segment {@code shardSet} of {@code bucket/key} (or of a part of
     * upload {@code uploadId} when not empty), in one transaction that fails if the record changed
     * meanwhile. False when the segment is no longer referenced there: the rebuilt shards are garbage.
     */
    boolean replaceShards(
            String bucket, String key, String uploadId, String shardSet, List<SegmentHealer.Rebuilt> rebuilt);

    /**
     * {@link #replaceShards(String, String, String, String, List)}, but only while every shard named in
     * {@code expectedNodes} is still on that node: a move of shard i off node X must not undo
     * another move or heal of shard i that committed first.
     */
    default boolean replaceShards(
            String bucket,
            String key,
            String uploadId,
            String shardSet,
            List<SegmentHealer.Rebuilt> rebuilt,
            Map<Integer, String> expectedNodes) {
        return replaceShards(bucket, key, uploadId, shardSet, rebuilt, expectedNodes, List.of());
    }

    /**
     * As above, queueing {@code garbage} (the copies the swap leaves stale) in the same transaction:
     * one round trip instead of two, and no crash between swap and queue can leak a stale copy.
     */
    boolean replaceShards(
            String bucket,
            String key,
            String uploadId,
            String shardSet,
            List<SegmentHealer.Rebuilt> rebuilt,
            Map<Integer, String> expectedNodes,
            List<GarbageRecord> garbage);

    @Override
    void close();
}
