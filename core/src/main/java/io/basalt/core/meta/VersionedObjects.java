package io.basalt.core.meta;

import static io.basalt.core.meta.EtcdMetadataStore.bs;
import static io.basalt.core.meta.EtcdMetadataStore.parse;
import static io.basalt.core.meta.EtcdMetadataStore.sameRevision;
import static io.basalt.core.meta.EtcdMetadataStore.value;

import io.basalt.core.meta.MetadataStore.CompleteOutcome;
import io.basalt.core.meta.MetadataStore.Completed;
import io.basalt.core.meta.MetadataStore.DeleteResult;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.meta.MetadataStore.PutOutcome;
import io.basalt.core.meta.MetadataStore.PutResult;
import io.basalt.core.meta.MetadataStore.UploadState;
import io.basalt.core.meta.MetadataStore.Versioning;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.PartRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Writes to a versioned bucket. A key's current version stays where an unversioned bucket keeps it
 * ({@code objects/}), so reads, listings and every background walk of current objects work as before; its
 * noncurrent versions and delete markers live under {@code versions/<bucket>/<key>\0<newest first>}. A key
 * whose latest version is a delete marker has no current version. Every change to a key's versions also
 * rewrites its guard ({@code versions/<bucket>/<key>\0}, empty), present while it has any, so that two
 * changes of one key's versions never both commit from the same reading.
 */
final class VersionedObjects {

    private static final int MAX_RETRIES = 32;

    private final EtcdMetadataStore store;
    private final EtcdCalls etcd;
    private final Keys keys;

    VersionedObjects(EtcdMetadataStore store, EtcdCalls etcd, Keys keys) {
        this.store = store;
        this.etcd = etcd;
        this.keys = keys;
    }

    /** The bucket's versioning as read with its key's revision (0: never configured). */
    record State(Versioning versioning, long revision) {}

    /** A key as one reading saw it: its current version, its guard and its other versions, newest first. */
    private record KeyState(Optional<KeyValue> current, Optional<KeyValue> guard, List<KeyValue> versions) {
        ObjectRecord currentRecord() {
            return current.map(c -> parse(c, ObjectRecord::parseFrom)).orElse(null);
        }

        ObjectRecord version(int i) {
            return parse(versions.get(i), ObjectRecord::parseFrom);
        }
    }

    private KeyState read(String bucket, String key) {
        // one transaction: the current version and the versions as of one revision
        TxnResponse r = etcd.read(kv -> kv.txn()
                .Then(
                        Op.get(bs(keys.object(bucket, key)), GetOption.DEFAULT),
                        Op.get(
                                bs(keys.versionsOf(bucket, key)),
                                GetOption.builder().isPrefix(true).build()))
                .commit());
        List<KeyValue> cur = r.getGetResponses().get(0).getKvs();
        Optional<KeyValue> guard = Optional.empty();
        List<KeyValue> versions = new ArrayList<>();
        String guardKey = keys.versionsOf(bucket, key);
        for (KeyValue v : r.getGetResponses().get(1).getKvs()) {
            if (v.getKey().toString().equals(guardKey)) guard = Optional.of(v);
            else versions.add(v);
        }
        return new KeyState(cur.isEmpty() ? Optional.empty() : Optional.of(cur.get(0)), guard, versions);
    }

    /** The ops and compares of one change to a key, committed together. */
    private final class Change {
        final String bucket, key;
        final KeyState seen;
        final List<Op> ops = new ArrayList<>();
        final List<Cmp> cmps = new ArrayList<>();
        int versionsAfter;

        Change(String bucket, String key, KeyState seen, State state) {
            this.bucket = bucket;
            this.key = key;
            this.seen = seen;
            this.versionsAfter = seen.versions().size();
            cmps.add(sameRevision(bs(keys.object(bucket, key)), seen.current()));
            cmps.add(sameRevision(bs(keys.versionsOf(bucket, key)), seen.guard()));
            cmps.add(new Cmp(bs(keys.versioning(bucket)), Cmp.Op.EQUAL, CmpTarget.modRevision(state.revision())));
        }

        void keepNoncurrent(ObjectRecord r) {
            ops.add(Op.put(
                    bs(keys.version(bucket, key, r.getModifiedUnixMs(), r.getVersionId())),
                    value(r),
                    PutOption.DEFAULT));
            versionsAfter++;
        }

        void dropVersion(KeyValue v, ObjectRecord r, String reason) {
            ops.add(Op.delete(v.getKey(), DeleteOption.DEFAULT));
            if (!r.getDeleteMarker()) ops.add(store.garbageOp(r.getSegmentsList(), reason));
            versionsAfter--;
        }

        /** Versions S3 replaces when a "null" one is written under Suspended: the null version, wherever it is. */
        void dropNullVersions() {
            for (int i = 0; i < seen.versions().size(); i++) {
                ObjectRecord v = seen.version(i);
                if (!v.getVersioned()) dropVersion(seen.versions().get(i), v, "overwritten");
            }
        }

        boolean commit(boolean creates) {
            ByteSequence guard = bs(keys.versionsOf(bucket, key));
            if (versionsAfter > 0) ops.add(Op.put(guard, ByteSequence.EMPTY, PutOption.DEFAULT));
            else if (seen.guard().isPresent()) ops.add(Op.delete(guard, DeleteOption.DEFAULT));
            if (creates) {
                cmps.add(store.bucketExists(bucket));
                cmps.add(store.notBeingDeleted(bucket));
            }
            return etcd.commit(txn -> txn.If(cmps.toArray(Cmp[]::new)).Then(ops.toArray(Op[]::new)))
                    .isSucceeded();
        }
    }

    /** {@code record} as the version a write in this state makes: its own id under Enabled, "null" otherwise. */
    private static ObjectRecord asNewVersion(ObjectRecord record, Versioning v) {
        if (v == Versioning.ENABLED) {
            return record.toBuilder()
                    .setVersioned(true)
                    .setVersionId(VersionIds.newId(record.getModifiedUnixMs()))
                    .build();
        }
        return record.toBuilder().setVersioned(false).build();
    }

    /** Makes {@code record} current; what it replaces stays noncurrent unless it is the null version being replaced. */
    private void replaceCurrent(Change c, ObjectRecord record, Versioning v) {
        ObjectRecord cur = c.seen.currentRecord();
        if (cur != null) {
            if (v == Versioning.SUSPENDED && !cur.getVersioned()) {
                c.ops.add(store.garbageOp(cur.getSegmentsList(), "overwritten"));
            } else {
                c.keepNoncurrent(cur);
            }
        }
        if (v == Versioning.SUSPENDED) c.dropNullVersions();
        c.ops.add(Op.put(bs(keys.object(c.bucket, c.key)), value(record), PutOption.DEFAULT));
        c.ops.addAll(store.healOps(c.bucket, c.key, "", record.getSegmentsList()));
    }

    PutResult put(String bucket, String key, ObjectRecord record, PutCondition condition, State state) {
        ObjectRecord version = asNewVersion(record, state.versioning());
        EtcdMetadataStore.BusyWait busy = new EtcdMetadataStore.BusyWait(bucket);
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            KeyState seen = read(bucket, key);
            ObjectRecord cur = seen.currentRecord();
            String etag = cur == null ? null : cur.getEtag();
            if (!condition.allows(etag)) {
                return new PutResult(etag == null ? PutOutcome.NO_SUCH_KEY : PutOutcome.PRECONDITION_FAILED, null);
            }
            Change c = new Change(bucket, key, seen, state);
            replaceCurrent(c, version, state.versioning());
            if (c.commit(true)) return new PutResult(PutOutcome.COMMITTED, MetadataStore.s3VersionId(version));
            if (store.getBucket(bucket).isEmpty()) return new PutResult(PutOutcome.NO_SUCH_BUCKET, null);
            if (changedVersioning(bucket, state)) return store.put(bucket, key, record, condition);
            if (beingDeleted(bucket)) busy.pause();
        }
        throw new MetadataUnavailableException("too much contention on " + bucket + "/" + key, null);
    }

    Completed complete(UploadState upload, ObjectRecord record, List<PartRecord> unusedParts, State state) {
        String bucket = upload.upload().getBucket(), key = upload.upload().getKey();
        ObjectRecord version = asNewVersion(record, state.versioning());
        ByteSequence uploadKey = bs(keys.upload(bucket, upload.upload().getUploadId()));
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            KeyState seen = read(bucket, key);
            Change c = new Change(bucket, key, seen, state);
            replaceCurrent(c, version, state.versioning());
            c.ops.add(Op.delete(uploadKey, DeleteOption.DEFAULT));
            c.ops.add(Op.delete(
                    bs(keys.partPrefix(upload.upload().getUploadId())),
                    DeleteOption.builder().isPrefix(true).build()));
            if (!unusedParts.isEmpty()) {
                c.ops.add(store.garbageOp(
                        unusedParts.stream().map(PartRecord::getSegment).toList(), "part not completed"));
            }
            c.cmps.add(new Cmp(uploadKey, Cmp.Op.EQUAL, CmpTarget.modRevision(upload.revision())));
            if (c.commit(false)) return new Completed(CompleteOutcome.COMPLETED, MetadataStore.s3VersionId(version));
            Optional<KeyValue> now =
                    store.getOne(keys.upload(bucket, upload.upload().getUploadId()));
            if (now.isEmpty()) return new Completed(CompleteOutcome.NO_SUCH_UPLOAD, null);
            if (now.get().getModRevision() != upload.revision())
                return new Completed(CompleteOutcome.PARTS_CHANGED, null);
            if (changedVersioning(bucket, state)) return store.complete(upload, record, unusedParts);
        }
        throw new MetadataUnavailableException("too much contention on " + key, null);
    }

    /**
     * DeleteObject in a versioned bucket; {@code onlyInternalId}, when set, deletes nothing unless the current
     * version is that one (lifecycle expiry). Empty when that condition did not hold.
     */
    Optional<DeleteResult> delete(String bucket, String key, String versionId, String onlyInternalId, State state) {
        EtcdMetadataStore.BusyWait busy = new EtcdMetadataStore.BusyWait(bucket);
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            KeyState seen = read(bucket, key);
            ObjectRecord cur = seen.currentRecord();
            if (onlyInternalId != null && (cur == null || !cur.getVersionId().equals(onlyInternalId))) {
                return Optional.empty();
            }
            Change c = new Change(bucket, key, seen, state);
            DeleteResult result = versionId == null ? hide(c, cur, state.versioning()) : remove(c, cur, versionId);
            if (result == null) return Optional.of(new DeleteResult(versionId, false)); // no such version
            if (c.commit(versionId == null)) return Optional.of(result);
            if (store.getBucket(bucket).isEmpty()) return Optional.of(DeleteResult.NO_SUCH_BUCKET);
            if (versionId == null && beingDeleted(bucket)) busy.pause();
            if (changedVersioning(bucket, state)) {
                return onlyInternalId != null
                        ? Optional.of(new DeleteResult(null, store.deleteObjectVersion(bucket, key, onlyInternalId)))
                        : Optional.of(store.delete(bucket, key, versionId));
            }
        }
        throw new MetadataUnavailableException("too much contention on " + bucket + "/" + key, null);
    }

    /** A delete marker becomes the latest version; the current one, if any, noncurrent (or gone, if null under Suspended). */
    private DeleteResult hide(Change c, ObjectRecord cur, Versioning v) {
        long now = System.currentTimeMillis();
        ObjectRecord marker = ObjectRecord.newBuilder()
                .setDeleteMarker(true)
                .setModifiedUnixMs(now)
                .setVersionId(VersionIds.newId(now))
                .setVersioned(v == Versioning.ENABLED)
                .build();
        if (cur != null) {
            if (v == Versioning.SUSPENDED && !cur.getVersioned()) {
                c.ops.add(store.garbageOp(cur.getSegmentsList(), "deleted"));
            } else {
                c.keepNoncurrent(cur);
            }
            c.ops.add(Op.delete(bs(keys.object(c.bucket, c.key)), DeleteOption.DEFAULT));
        }
        if (v == Versioning.SUSPENDED) c.dropNullVersions();
        c.keepNoncurrent(marker);
        return new DeleteResult(MetadataStore.s3VersionId(marker), true);
    }

    /** Removes one version for good; null when the key has no such version. */
    private DeleteResult remove(Change c, ObjectRecord cur, String versionId) {
        KeyState seen = c.seen;
        if (cur != null && MetadataStore.s3VersionId(cur).equals(versionId)) {
            c.ops.add(store.garbageOp(cur.getSegmentsList(), "version deleted"));
            // the next newest takes its place, or nothing does (etcd refuses a put and a delete of one key)
            if (!promote(c, 0)) c.ops.add(Op.delete(bs(keys.object(c.bucket, c.key)), DeleteOption.DEFAULT));
            return new DeleteResult(versionId, false);
        }
        for (int i = 0; i < seen.versions().size(); i++) {
            ObjectRecord v = seen.version(i);
            if (!MetadataStore.s3VersionId(v).equals(versionId)) continue;
            c.dropVersion(seen.versions().get(i), v, "version deleted");
            // the latest version went (a delete marker, as a key without a current one has on top): the next shows
            if (cur == null && i == 0) promote(c, 1);
            return new DeleteResult(versionId, v.getDeleteMarker());
        }
        return null;
    }

    /** The noncurrent version at {@code i}, unless it is a delete marker, becomes current; false if none did. */
    private boolean promote(Change c, int i) {
        if (i >= c.seen.versions().size()) return false;
        ObjectRecord next = c.seen.version(i);
        if (next.getDeleteMarker()) return false;
        c.ops.add(Op.delete(c.seen.versions().get(i).getKey(), DeleteOption.DEFAULT));
        c.versionsAfter--;
        c.ops.add(Op.put(bs(keys.object(c.bucket, c.key)), value(next), PutOption.DEFAULT));
        return true;
    }

    /** The key's versions that hold data, the current one first (any bucket: an unversioned one has only that). */
    List<ObjectRecord> withData(String bucket, String key) {
        KeyState seen = read(bucket, key);
        List<ObjectRecord> out = new ArrayList<>();
        if (seen.current().isPresent()) out.add(seen.currentRecord());
        for (int i = 0; i < seen.versions().size(); i++) {
            if (!seen.version(i).getDeleteMarker()) out.add(seen.version(i));
        }
        return out;
    }

    Optional<ObjectRecord> get(String bucket, String key, String versionId) {
        KeyState seen = read(bucket, key);
        ObjectRecord cur = seen.currentRecord();
        if (versionId == null) {
            if (cur != null) return Optional.of(cur);
            return seen.versions().isEmpty() ? Optional.empty() : Optional.of(seen.version(0));
        }
        if (cur != null && MetadataStore.s3VersionId(cur).equals(versionId)) return Optional.of(cur);
        for (int i = 0; i < seen.versions().size(); i++) {
            if (MetadataStore.s3VersionId(seen.version(i)).equals(versionId)) return Optional.of(seen.version(i));
        }
        return Optional.empty();
    }

    /** A DeleteBucket is checking the bucket: a write that creates a version waits it out, as unversioned ones do. */
    private boolean beingDeleted(String bucket) {
        return store.getOne(keys.bucketDeleting(bucket)).isPresent();
    }

    private boolean changedVersioning(String bucket, State state) {
        return store.versioningState(bucket).revision() != state.revision();
    }
}
