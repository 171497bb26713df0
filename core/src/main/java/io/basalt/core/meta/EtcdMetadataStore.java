package io.basalt.core.meta;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.basalt.core.data.SegmentHealer;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.BucketVersioning;
import io.basalt.proto.meta.GarbageRecord;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.LifecycleConfiguration;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@link MetadataStore} on etcd. Read-modify-write operations are optimistic: read the key,
 * then commit a transaction that compares its mod revision, and retry on a lost race. That
 * makes an overwrite and the garbage entry for the version it replaces one atomic step.
 *
 * <p>DeleteBucket must not lose a race with a write into the bucket, and etcd cannot compare a
 * whole key range in a transaction. So DeleteBucket first puts a marker ({@link Keys#bucketDeleting})
 * under a short lease, then checks emptiness, then deletes bucket and marker in one transaction
 * that requires its marker still there. Every transaction that creates an object or upload key
 * requires the marker absent: a creation committed before the marker is seen by the emptiness
 * check, one after it fails and waits the marker out (it lives milliseconds; a crashed deleter's
 * lease expires).
 *
 * <p>Every write is a transaction with a fence ({@link #commit}, {@link TransactionFences}): one that timed out
 * cannot commit after its caller was answered.
 */
public final class EtcdMetadataStore implements MetadataStore {

    private static final Logger log = LogManager.getLogger(EtcdMetadataStore.class);
    private static final int MAX_RETRIES = 32;

    /** How long a crashed DeleteBucket's marker keeps blocking writes into its bucket. */
    private static final long DELETING_LEASE_SECONDS = 30;
    /** How long a write waits for another request's DeleteBucket before answering {@link BucketBusyException}. */
    private static final long BUSY_WAIT_MS = 3_000;

    private final Client client;
    private final EtcdCalls etcd;
    private final Keys keys;
    private final boolean ownsClient;
    private final VersionedObjects versioned;

    public EtcdMetadataStore(Client client, Keys keys) {
        this(client, new EtcdCalls(EtcdMembers.one(client), keys), keys, false);
    }

    /** Its KV calls are made by {@code etcd} (which it closes); leases go through {@code client}. */
    EtcdMetadataStore(Client client, EtcdCalls etcd, Keys keys) {
        this(client, etcd, keys, false);
    }

    private EtcdMetadataStore(Client client, EtcdCalls etcd, Keys keys, boolean ownsClient) {
        this.client = client;
        this.etcd = etcd;
        this.keys = keys;
        this.ownsClient = ownsClient;
        this.versioned = new VersionedObjects(this, etcd, keys);
    }

    public static EtcdMetadataStore connect(List<String> endpoints, Keys keys) {
        return connect(endpoints, keys, null);
    }

    /** As {@link #connect(List, Keys)}, over TLS with the cluster's certificates when {@code tls} is not null. */
    public static EtcdMetadataStore connect(List<String> endpoints, Keys keys, io.basalt.core.tls.ClusterTls tls) {
        Client client = Etcd.connect(endpoints, tls);
        return new EtcdMetadataStore(client, new EtcdCalls(EtcdMembers.one(client), keys), keys, true);
    }

    public Keys keys() {
        return keys;
    }

    public Client client() {
        return client;
    }

    // ---- buckets

    @Override
    public boolean createBucket(BucketRecord bucket) {
        ByteSequence key = bs(keys.bucket(bucket.getName()));
        TxnResponse r = etcd.commit(txn -> txn.If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
                .Then(Op.put(key, value(bucket), PutOption.DEFAULT)));
        return r.isSucceeded();
    }

    @Override
    public Optional<BucketRecord> getBucket(String name) {
        return getOne(keys.bucket(name)).map(kv -> parse(kv, BucketRecord::parseFrom));
    }

    @Override
    public List<BucketRecord> listBuckets() {
        List<BucketRecord> out = new ArrayList<>();
        for (KeyValue kv : getPrefix(keys.buckets(), 0)) {
            out.add(parse(kv, BucketRecord::parseFrom));
        }
        return out;
    }

    @Override
    public BucketDeletion deleteBucket(String name) {
        ByteSequence bucketKey = bs(keys.bucket(name));
        ByteSequence marker = bs(keys.bucketDeleting(name));
        BusyWait busy = new BusyWait(name);
        while (true) {
            long lease = etcd.awaitLease(client.getLeaseClient().grant(DELETING_LEASE_SECONDS))
                    .getID();
            try {
                TxnResponse claim = etcd.commit(txn -> txn.If(bucketExists(name), notBeingDeleted(name))
                        .Then(Op.put(
                                marker,
                                ByteSequence.EMPTY,
                                PutOption.builder().withLeaseId(lease).build()))
                        .Else(Op.get(bucketKey, GetOption.DEFAULT)));
                if (!claim.isSucceeded()) {
                    if (claim.getGetResponses().get(0).getKvs().isEmpty()) return BucketDeletion.NO_SUCH_BUCKET;
                    busy.pause(); // another DeleteBucket of this bucket is checking
                    continue;
                }
                long markerRevision = claim.getHeader().getRevision();
                // One transaction, so one revision: a CompleteMultipartUpload turning an upload into
                // an object between two separate reads would be seen by neither.
                GetOption first = GetOption.builder()
                        .isPrefix(true)
                        .withLimit(1)
                        .withKeysOnly(true)
                        .build();
                TxnResponse contents = etcd.read(kv -> kv.txn()
                        .Then(
                                Op.get(bs(keys.objectPrefix(name)), first),
                                Op.get(bs(keys.uploadPrefix(name)), first),
                                Op.get(bs(keys.versionPrefix(name)), first))
                        .commit());
                // a versioned bucket is empty only without noncurrent versions and delete markers too (S3)
                if (!contents.getGetResponses().get(0).getKvs().isEmpty()
                        || !contents.getGetResponses().get(2).getKvs().isEmpty()) {
                    return BucketDeletion.NOT_EMPTY; // the revoke below removes the marker
                }
                // Unfinished multipart uploads do not keep a bucket alive (S3, MinIO, RGW): they are aborted,
                // their parts' shards queued for collection. The marker stops new uploads, parts and
                // completions meanwhile.
                if (!contents.getGetResponses().get(1).getKvs().isEmpty()) {
                    for (UploadRecord u : listUploads(name)) abortUpload(name, u.getUploadId());
                }
                TxnResponse r = etcd.commit(txn -> txn.If(
                                new Cmp(marker, Cmp.Op.EQUAL, CmpTarget.createRevision(markerRevision)))
                        .Then(
                                Op.delete(bucketKey, DeleteOption.DEFAULT),
                                Op.delete(marker, DeleteOption.DEFAULT),
                                // a bucket made again under this name must not inherit who could use this one
                                Op.delete(
                                        bs(keys.grantPrefix(name)),
                                        DeleteOption.builder().isPrefix(true).build()),
                                Op.delete(bs(keys.bucketPolicy(name)), DeleteOption.DEFAULT),
                                Op.delete(bs(keys.lifecycle(name)), DeleteOption.DEFAULT),
                                Op.delete(bs(keys.versioning(name)), DeleteOption.DEFAULT)));
                if (r.isSucceeded()) return BucketDeletion.DELETED;
                // The lease ran out while we stalled (a write may have come in since): check again.
                log.warn("DeleteBucket {}: its marker expired before the delete, retrying", name);
            } finally {
                revoke(lease);
            }
        }
    }

    @Override
    public boolean putLifecycle(String bucket, LifecycleConfiguration configuration) {
        // a configuration left behind by a deleted bucket would expire the objects of the next one
        return putBucketSetting(bucket, keys.lifecycle(bucket), value(configuration));
    }

    /** Puts one of a bucket's settings, only while the bucket exists; false when it does not. */
    private boolean putBucketSetting(String bucket, String key, ByteSequence setting) {
        BusyWait busy = new BusyWait(bucket);
        while (true) {
            TxnResponse r = etcd.commit(txn -> txn.If(bucketExists(bucket), notBeingDeleted(bucket))
                    .Then(Op.put(bs(key), setting, PutOption.DEFAULT))
                    .Else(Op.get(bs(keys.bucket(bucket)), GetOption.DEFAULT)));
            if (r.isSucceeded()) return true;
            if (r.getGetResponses().get(0).getKvs().isEmpty()) return false;
            busy.pause();
        }
    }

    @Override
    public Optional<LifecycleConfiguration> getLifecycle(String bucket) {
        return getOne(keys.lifecycle(bucket)).map(kv -> parse(kv, LifecycleConfiguration::parseFrom));
    }

    @Override
    public void deleteLifecycle(String bucket) {
        etcd.commit(txn -> txn.Then(Op.delete(bs(keys.lifecycle(bucket)), DeleteOption.DEFAULT)));
    }

    @Override
    public Map<String, LifecycleConfiguration> lifecycles() {
        Map<String, LifecycleConfiguration> out = new java.util.TreeMap<>();
        String prefix = keys.lifecycles();
        for (KeyValue kv : getPrefix(prefix, 0)) {
            out.put(kv.getKey().toString().substring(prefix.length()), parse(kv, LifecycleConfiguration::parseFrom));
        }
        return out;
    }

    /** Ends a DeleteBucket's lease, which removes its marker if still there; if etcd is unreachable the lease expires. */
    private void revoke(long lease) {
        try {
            etcd.awaitLease(client.getLeaseClient().revoke(lease));
        } catch (MetadataUnavailableException e) {
            log.debug("revoking lease {}: {}", lease, e.getMessage());
        }
    }

    // ---- objects

    @Override
    public Optional<ObjectRecord> getObject(String bucket, String key) {
        return getOne(keys.object(bucket, key)).map(kv -> parse(kv, ObjectRecord::parseFrom));
    }

    @Override
    public PutResult put(String bucket, String key, ObjectRecord record, PutCondition condition) {
        ByteSequence objectKey = bs(keys.object(bucket, key));
        ByteSequence bucketKey = bs(keys.bucket(bucket));
        // First try assumes a new key (Milvus writes mostly unique keys): one round trip. When the
        // key exists, the Else branch returns it, so the retry needs no extra read.
        // If-Match needs the object that is there: no guess that the key is new.
        Optional<KeyValue> current = condition.ifMatch() == null ? Optional.empty() : getOne(keys.object(bucket, key));
        BusyWait busy = new BusyWait(bucket);
        for (int attempt = 0; attempt < MAX_RETRIES; ) {
            String etag = current.map(kv -> parse(kv, ObjectRecord::parseFrom).getEtag())
                    .orElse(null);
            if (!condition.allows(etag)) {
                return new PutResult(etag == null ? PutOutcome.NO_SUCH_KEY : PutOutcome.PRECONDITION_FAILED, null);
            }
            List<Op> ops = new ArrayList<>();
            ops.add(Op.put(objectKey, value(record), PutOption.DEFAULT));
            current.ifPresent(old ->
                    ops.add(garbageOp(parse(old, ObjectRecord::parseFrom).getSegmentsList(), "overwritten")));
            ops.addAll(healOps(bucket, key, "", record.getSegmentsList()));
            Cmp unchanged = sameRevision(objectKey, current);
            TxnResponse r = etcd.commit(txn -> txn.If(
                            unchanged, bucketExists(bucket), notBeingDeleted(bucket), notVersioned(bucket))
                    .Then(ops.toArray(Op[]::new))
                    .Else(
                            Op.get(objectKey, GetOption.DEFAULT),
                            Op.get(bucketKey, GetOption.DEFAULT),
                            Op.get(bs(keys.bucketDeleting(bucket)), GetOption.DEFAULT),
                            Op.get(bs(keys.versioning(bucket)), GetOption.DEFAULT)));
            if (r.isSucceeded()) return new PutResult(PutOutcome.COMMITTED, null);
            if (r.getGetResponses().get(1).getKvs().isEmpty()) return new PutResult(PutOutcome.NO_SUCH_BUCKET, null);
            if (!r.getGetResponses().get(3).getKvs().isEmpty()) {
                return versioned.put(
                        bucket,
                        key,
                        record,
                        condition,
                        state(r.getGetResponses().get(3).getKvs()));
            }
            if (!r.getGetResponses().get(2).getKvs().isEmpty()) {
                busy.pause();
                continue;
            }
            List<KeyValue> now = r.getGetResponses().get(0).getKvs();
            current = now.isEmpty() ? Optional.empty() : Optional.of(now.get(0));
            attempt++;
        }
        throw new MetadataUnavailableException("too much contention on " + bucket + "/" + key, null);
    }

    @Override
    public Optional<ObjectRecord> deleteObject(String bucket, String key) {
        Optional<ObjectRecord> current = getObject(bucket, key);
        delete(bucket, key, null);
        return current;
    }

    @Override
    public DeleteResult delete(String bucket, String key, String versionId) {
        ByteSequence objectKey = bs(keys.object(bucket, key));
        // The object, its bucket and the bucket's versioning at one revision: a key that is not there needs
        // no write, and a transaction that fails returns the same three for the retry.
        Op[] look = {
            Op.get(objectKey, GetOption.DEFAULT),
            Op.get(bs(keys.bucket(bucket)), GetOption.DEFAULT),
            Op.get(bs(keys.versioning(bucket)), GetOption.DEFAULT)
        };
        TxnResponse seen = etcd.read(kv -> kv.txn().Then(look).commit());
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            if (seen.getGetResponses().get(1).getKvs().isEmpty()) return DeleteResult.NO_SUCH_BUCKET;
            List<KeyValue> versioning = seen.getGetResponses().get(2).getKvs();
            if (!versioning.isEmpty()) {
                return versioned
                        .delete(bucket, key, versionId, null, state(versioning))
                        .orElseThrow();
            }
            List<KeyValue> object = seen.getGetResponses().get(0).getKvs();
            Optional<KeyValue> current = object.stream().findFirst();
            ObjectRecord old =
                    current.map(c -> parse(c, ObjectRecord::parseFrom)).orElse(null);
            if (old == null
                    || versionId != null && !MetadataStore.s3VersionId(old).equals(versionId)) {
                return DeleteResult.UNVERSIONED;
            }
            seen = etcd.commit(txn -> txn.If(sameRevision(objectKey, current), notVersioned(bucket))
                    .Then(Op.delete(objectKey, DeleteOption.DEFAULT), garbageOp(old.getSegmentsList(), "deleted"))
                    .Else(look));
            if (seen.isSucceeded()) return DeleteResult.UNVERSIONED;
        }
        throw new MetadataUnavailableException("too much contention on " + bucket + "/" + key, null);
    }

    @Override
    public Optional<ObjectRecord> updateObject(String bucket, String key, UnaryOperator<ObjectRecord> change) {
        ByteSequence objectKey = bs(keys.object(bucket, key));
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            Optional<KeyValue> current = getOne(keys.object(bucket, key));
            if (current.isEmpty()) return Optional.empty();
            ObjectRecord old = parse(current.get(), ObjectRecord::parseFrom);
            ObjectRecord updated = change.apply(old);
            if (!updated.getVersionId().equals(old.getVersionId())
                    || !updated.getSegmentsList().equals(old.getSegmentsList())) {
                // the garbage and heal accounting follow segments; only a new version may change them
                throw new IllegalArgumentException("an in-place update changed the data of " + bucket + "/" + key);
            }
            TxnResponse r = etcd.commit(txn -> txn.If(sameRevision(objectKey, current))
                    .Then(Op.put(objectKey, value(updated), PutOption.DEFAULT)));
            if (r.isSucceeded()) return Optional.of(updated);
        }
        throw new MetadataUnavailableException("too much contention on " + bucket + "/" + key, null);
    }

    @Override
    public boolean deleteObjectVersion(String bucket, String key, String versionId) {
        ByteSequence objectKey = bs(keys.object(bucket, key));
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            Optional<KeyValue> current = getOne(keys.object(bucket, key));
            if (current.isEmpty()) return false;
            ObjectRecord old = parse(current.get(), ObjectRecord::parseFrom);
            if (!old.getVersionId().equals(versionId)) return false;
            TxnResponse r = etcd.commit(txn -> txn.If(sameRevision(objectKey, current), notVersioned(bucket))
                    .Then(Op.delete(objectKey, DeleteOption.DEFAULT), garbageOp(old.getSegmentsList(), "expired"))
                    .Else(Op.get(bs(keys.versioning(bucket)), GetOption.DEFAULT)));
            if (r.isSucceeded()) return true;
            List<KeyValue> versioning = r.getGetResponses().get(0).getKvs();
            if (!versioning.isEmpty()) {
                // S3: expiring the current version of a versioned bucket leaves a delete marker
                return versioned
                        .delete(bucket, key, null, versionId, state(versioning))
                        .isPresent();
            }
        }
        throw new MetadataUnavailableException("too much contention on " + bucket + "/" + key, null);
    }

    @Override
    public long revision() {
        return etcd.read(kv -> kv.get(
                        bs(keys.root()), GetOption.builder().withCountOnly(true).build()))
                .getHeader()
                .getRevision();
    }

    @Override
    public List<ListedObject> scanObjects(
            String bucket, String fromKey, boolean inclusive, String toKeyExclusive, int limit, long revision) {
        String prefix = keys.objectPrefix(bucket);
        byte[] start = Keys.utf8(prefix + fromKey);
        if (!inclusive) start = append0(start);
        byte[] end = toKeyExclusive == null ? Keys.prefixEnd(Keys.utf8(prefix)) : Keys.utf8(prefix + toKeyExclusive);
        GetOption.Builder opt = GetOption.builder().withRange(ByteSequence.from(end));
        if (limit > 0) opt.withLimit(limit);
        if (revision > 0) opt.withRevision(revision);
        ByteSequence from = ByteSequence.from(start);
        GetResponse r = etcd.scan(kv -> kv.get(from, opt.build()));
        List<ListedObject> out = new ArrayList<>(r.getKvs().size());
        for (KeyValue kv : r.getKvs()) {
            String full = kv.getKey().toString();
            out.add(new ListedObject(full.substring(prefix.length()), parse(kv, ObjectRecord::parseFrom)));
        }
        return out;
    }

    // ---- multipart uploads

    @Override
    public boolean createUpload(UploadRecord upload) {
        ByteSequence key = bs(keys.upload(upload.getBucket(), upload.getUploadId()));
        ByteSequence bucketKey = bs(keys.bucket(upload.getBucket()));
        BusyWait busy = new BusyWait(upload.getBucket());
        while (true) {
            TxnResponse r =
                    etcd.commit(txn -> txn.If(bucketExists(upload.getBucket()), notBeingDeleted(upload.getBucket()))
                            .Then(Op.put(key, value(upload), PutOption.DEFAULT))
                            .Else(Op.get(bucketKey, GetOption.DEFAULT)));
            if (r.isSucceeded()) return true;
            if (r.getGetResponses().get(0).getKvs().isEmpty()) return false;
            busy.pause(); // the bucket exists, so the marker failed the transaction
        }
    }

    @Override
    public Optional<UploadRecord> getUpload(String bucket, String uploadId) {
        return getOne(keys.upload(bucket, uploadId)).map(kv -> parse(kv, UploadRecord::parseFrom));
    }

    @Override
    public boolean putPart(UploadRecord upload, PartRecord part) {
        String bucket = upload.getBucket(), uploadId = upload.getUploadId();
        ByteSequence uploadKey = bs(keys.upload(bucket, uploadId));
        ByteSequence partKey = bs(keys.part(uploadId, part.getPartNumber()));
        List<Op> always = new ArrayList<>();
        always.add(Op.put(partKey, value(part), PutOption.DEFAULT));
        // Rewriting the upload record bumps its revision, which Complete and Abort compare:
        // a part that lands after they read the part list makes them retry, never vanish.
        // An upload record never changes after its creation, so the caller's copy is what is stored.
        always.add(Op.put(uploadKey, value(upload), PutOption.DEFAULT));
        always.addAll(healOps(bucket, upload.getKey(), uploadId, List.of(part.getSegment())));
        // First try assumes the part number is new (clients retry a part seldom): one round trip. When a
        // part is there, the Else branch returns it, so the retry needs no extra read.
        Optional<KeyValue> current = Optional.empty();
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            List<Op> ops = new ArrayList<>(always);
            current.ifPresent(old ->
                    ops.add(garbageOp(List.of(parse(old, PartRecord::parseFrom).getSegment()), "part replaced")));
            Cmp unchanged = sameRevision(partKey, current);
            TxnResponse r =
                    etcd.commit(txn -> txn.If(unchanged, new Cmp(uploadKey, Cmp.Op.GREATER, CmpTarget.version(0)))
                            .Then(ops.toArray(Op[]::new))
                            .Else(Op.get(uploadKey, GetOption.DEFAULT), Op.get(partKey, GetOption.DEFAULT)));
            if (r.isSucceeded()) return true;
            if (r.getGetResponses().get(0).getKvs().isEmpty()) return false;
            List<KeyValue> now = r.getGetResponses().get(1).getKvs();
            current = now.isEmpty() ? Optional.empty() : Optional.of(now.get(0));
        }
        throw new MetadataUnavailableException("too much contention on upload " + uploadId, null);
    }

    @Override
    public Optional<UploadState> getUploadState(String bucket, String uploadId) {
        TxnResponse r = etcd.read(kv -> kv.txn()
                .Then(
                        Op.get(bs(keys.upload(bucket, uploadId)), GetOption.DEFAULT),
                        Op.get(
                                bs(keys.partPrefix(uploadId)),
                                GetOption.builder().isPrefix(true).build()))
                .commit());
        List<KeyValue> upload = r.getGetResponses().get(0).getKvs();
        if (upload.isEmpty()) return Optional.empty();
        List<PartRecord> parts = new ArrayList<>();
        for (KeyValue kv : r.getGetResponses().get(1).getKvs()) {
            parts.add(parse(kv, PartRecord::parseFrom));
        }
        return Optional.of(new UploadState(
                parse(upload.get(0), UploadRecord::parseFrom), upload.get(0).getModRevision(), parts));
    }

    @Override
    public Completed complete(UploadState state, ObjectRecord record, List<PartRecord> unusedParts) {
        UploadRecord upload = state.upload();
        ByteSequence uploadKey = bs(keys.upload(upload.getBucket(), upload.getUploadId()));
        ByteSequence objectKey = bs(keys.object(upload.getBucket(), upload.getKey()));
        ByteSequence partPrefix = bs(keys.partPrefix(upload.getUploadId()));
        BusyWait busy = new BusyWait(upload.getBucket());
        // First try assumes a new key, as put does; the Else branch returns the object that is there.
        Optional<KeyValue> current = Optional.empty();
        for (int attempt = 0; attempt < MAX_RETRIES; ) {
            List<Op> ops = new ArrayList<>();
            ops.add(Op.put(objectKey, value(record), PutOption.DEFAULT));
            ops.add(Op.delete(uploadKey, DeleteOption.DEFAULT));
            ops.add(Op.delete(partPrefix, DeleteOption.builder().isPrefix(true).build()));
            current.ifPresent(old ->
                    ops.add(garbageOp(parse(old, ObjectRecord::parseFrom).getSegmentsList(), "overwritten")));
            if (!unusedParts.isEmpty()) {
                ops.add(garbageOp(
                        unusedParts.stream().map(PartRecord::getSegment).toList(), "part not completed"));
            }
            // The upload key alone keeps DeleteBucket from finding the bucket empty; the marker
            // compare is there so that no path creates an object key without it.
            Cmp unchanged = sameRevision(objectKey, current);
            TxnResponse r = etcd.commit(txn -> txn.If(
                            unchanged,
                            new Cmp(uploadKey, Cmp.Op.EQUAL, CmpTarget.modRevision(state.revision())),
                            notBeingDeleted(upload.getBucket()),
                            notVersioned(upload.getBucket()))
                    .Then(ops.toArray(Op[]::new))
                    .Else(
                            Op.get(uploadKey, GetOption.DEFAULT),
                            Op.get(bs(keys.bucketDeleting(upload.getBucket())), GetOption.DEFAULT),
                            Op.get(bs(keys.versioning(upload.getBucket())), GetOption.DEFAULT),
                            Op.get(objectKey, GetOption.DEFAULT)));
            if (r.isSucceeded()) return new Completed(CompleteOutcome.COMPLETED, null);
            List<KeyValue> now = r.getGetResponses().get(0).getKvs();
            if (now.isEmpty()) return new Completed(CompleteOutcome.NO_SUCH_UPLOAD, null);
            if (now.get(0).getModRevision() != state.revision())
                return new Completed(CompleteOutcome.PARTS_CHANGED, null);
            List<KeyValue> versioning = r.getGetResponses().get(2).getKvs();
            if (!versioning.isEmpty()) {
                return versioned.complete(state, record, unusedParts, state(versioning));
            }
            if (!r.getGetResponses().get(1).getKvs().isEmpty()) {
                busy.pause();
                continue;
            }
            List<KeyValue> object = r.getGetResponses().get(3).getKvs();
            current = object.isEmpty() ? Optional.empty() : Optional.of(object.get(0));
            attempt++;
        }
        throw new MetadataUnavailableException("too much contention on " + upload.getKey(), null);
    }

    @Override
    public boolean abortUpload(String bucket, String uploadId) {
        ByteSequence uploadKey = bs(keys.upload(bucket, uploadId));
        ByteSequence partPrefix = bs(keys.partPrefix(uploadId));
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            Optional<UploadState> state = getUploadState(bucket, uploadId);
            if (state.isEmpty()) return false;
            List<Segment> segments =
                    state.get().parts().stream().map(PartRecord::getSegment).toList();
            TxnResponse r = etcd.commit(txn -> txn.If(new Cmp(
                            uploadKey,
                            Cmp.Op.EQUAL,
                            CmpTarget.modRevision(state.get().revision())))
                    .Then(
                            Op.delete(uploadKey, DeleteOption.DEFAULT),
                            Op.delete(
                                    partPrefix,
                                    DeleteOption.builder().isPrefix(true).build()),
                            garbageOp(segments, "upload aborted")));
            if (r.isSucceeded()) return true;
        }
        throw new MetadataUnavailableException("too much contention on upload " + uploadId, null);
    }

    @Override
    public List<UploadRecord> listUploads(String bucket) {
        List<UploadRecord> out = new ArrayList<>();
        for (KeyValue kv : getPrefix(keys.uploadPrefix(bucket), 0)) {
            out.add(parse(kv, UploadRecord::parseFrom));
        }
        return out;
    }

    @Override
    public List<PartRecord> listParts(String uploadId) {
        List<PartRecord> out = new ArrayList<>();
        for (KeyValue kv : getPrefix(keys.partPrefix(uploadId), 0)) {
            try {
                out.add(PartRecord.parseFrom(kv.getValue().getBytes()));
            } catch (InvalidProtocolBufferException e) {
                // an unreadable part is not the caller's to fix; the others still count
            }
        }
        return out;
    }

    /** Merges into an existing record for the shard set (a scrub or another read may have queued it). */
    @Override
    public void queueHeal(HealRecord heal) {
        ByteSequence key = bs(keys.heal(heal.getShardSet()));
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            Optional<KeyValue> current = getOne(keys.heal(heal.getShardSet()));
            HealRecord merged = heal;
            if (current.isPresent()) {
                HealRecord old = parse(current.get(), HealRecord::parseFrom);
                java.util.TreeSet<Integer> shards = new java.util.TreeSet<>(old.getShardsList());
                shards.addAll(heal.getShardsList());
                HealRecord.Builder b = old.toBuilder().clearShards().addAllShards(shards);
                if (old.getBucket().isEmpty())
                    b.setBucket(heal.getBucket()).setKey(heal.getKey()).setUploadId(heal.getUploadId());
                merged = b.build();
            }
            ByteSequence mergedValue = value(merged);
            if (etcd.commit(txn -> txn.If(sameRevision(key, current)).Then(Op.put(key, mergedValue, PutOption.DEFAULT)))
                    .isSucceeded()) {
                return;
            }
        }
        throw new MetadataUnavailableException("too much contention queueing heal of " + heal.getShardSet(), null);
    }

    @Override
    public boolean replaceShards(
            String bucket, String key, String uploadId, String shardSet, List<SegmentHealer.Rebuilt> rebuilt) {
        return replaceShards(bucket, key, uploadId, shardSet, rebuilt, Map.of());
    }

    @Override
    public boolean replaceShards(
            String bucket,
            String key,
            String uploadId,
            String shardSet,
            List<SegmentHealer.Rebuilt> rebuilt,
            Map<Integer, String> expectedNodes,
            List<GarbageRecord> garbage) {
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            String recordKey;
            Optional<KeyValue> current;
            if (uploadId.isEmpty()) {
                recordKey = keys.object(bucket, key);
                current = getOne(recordKey);
                if (current.isEmpty() || !references(current.get(), shardSet)) {
                    // not (or no longer) the current version's: a noncurrent version of the key may hold it
                    current = Optional.empty();
                    for (KeyValue v : getPrefix(keys.versionsOf(bucket, key), 0)) {
                        if (v.getValue().isEmpty() || !references(v, shardSet)) continue;
                        recordKey = v.getKey().toString();
                        current = Optional.of(v);
                    }
                }
            } else {
                current = Optional.empty();
                recordKey = null;
                for (KeyValue kv : getPrefix(keys.partPrefix(uploadId), 0)) {
                    if (parse(kv, PartRecord::parseFrom)
                            .getSegment()
                            .getShardSet()
                            .equals(shardSet)) {
                        recordKey = kv.getKey().toString();
                        current = Optional.of(kv);
                    }
                }
                if (current.isEmpty()) {
                    // The upload may have completed meanwhile: the segment now lives in the object.
                    return replaceShards(bucket, key, "", shardSet, rebuilt, expectedNodes, garbage);
                }
            }
            if (current.isEmpty()) return false;
            byte[] updated = uploadId.isEmpty()
                    ? swapInObject(parse(current.get(), ObjectRecord::parseFrom), shardSet, rebuilt, expectedNodes)
                    : swapInPart(parse(current.get(), PartRecord::parseFrom), rebuilt, expectedNodes);
            if (updated == null) return false;
            ByteSequence k = bs(recordKey);
            List<Op> ops = new ArrayList<>();
            ops.add(Op.put(k, ByteSequence.from(updated), PutOption.DEFAULT));
            for (GarbageRecord g : garbage)
                ops.add(Op.put(bs(keys.garbage(UUID.randomUUID().toString())), value(g), PutOption.DEFAULT));
            long revision = current.get().getModRevision();
            TxnResponse r = etcd.commit(txn -> txn.If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(revision)))
                    .Then(ops.toArray(Op[]::new)));
            if (r.isSucceeded()) return true;
        }
        throw new MetadataUnavailableException("too much contention healing " + shardSet, null);
    }

    private static boolean references(KeyValue objectRecord, String shardSet) {
        return parse(objectRecord, ObjectRecord::parseFrom).getSegmentsList().stream()
                .anyMatch(seg -> seg.getShardSet().equals(shardSet));
    }

    private static byte[] swapInObject(
            ObjectRecord obj,
            String shardSet,
            List<SegmentHealer.Rebuilt> rebuilt,
            Map<Integer, String> expectedNodes) {
        ObjectRecord.Builder b = obj.toBuilder();
        for (int i = 0; i < b.getSegmentsCount(); i++) {
            if (b.getSegments(i).getShardSet().equals(shardSet)) {
                if (!holds(b.getSegments(i), expectedNodes)) return null;
                b.setSegments(i, swap(b.getSegments(i), rebuilt));
                return b.build().toByteArray();
            }
        }
        return null;
    }

    private static byte[] swapInPart(
            PartRecord part, List<SegmentHealer.Rebuilt> rebuilt, Map<Integer, String> expectedNodes) {
        if (!holds(part.getSegment(), expectedNodes)) return null;
        return part.toBuilder()
                .setSegment(swap(part.getSegment(), rebuilt))
                .build()
                .toByteArray();
    }

    private static boolean holds(Segment seg, Map<Integer, String> expectedNodes) {
        for (var e : expectedNodes.entrySet()) {
            if (e.getKey() >= seg.getNodeIdsCount()
                    || !seg.getNodeIds(e.getKey()).equals(e.getValue())) return false;
        }
        return true;
    }

    private static Segment swap(Segment seg, List<SegmentHealer.Rebuilt> rebuilt) {
        Segment.Builder b = seg.toBuilder();
        java.util.Set<Integer> healed = new java.util.HashSet<>();
        for (SegmentHealer.Rebuilt r : rebuilt) {
            b.setNodeIds(r.shard(), r.nodeId()).setShardCrc32C(r.shard(), r.crc32c());
            healed.add(r.shard());
        }
        List<Integer> stillMissing = seg.getMissingShardsList().stream()
                .filter(i -> !healed.contains(i))
                .toList();
        return b.clearMissingShards().addAllMissingShards(stillMissing).build();
    }

    @Override
    public void close() {
        etcd.close();
        if (ownsClient) client.close();
    }

    // ---- helpers

    Op garbageOp(List<Segment> segments, String reason) {
        GarbageRecord g = GarbageRecord.newBuilder()
                .addAllSegments(segments)
                .setQueuedUnixMs(System.currentTimeMillis())
                .setReason(reason)
                .build();
        return Op.put(bs(keys.garbage(UUID.randomUUID().toString())), value(g), PutOption.DEFAULT);
    }

    /** Heal entries for segments committed below full redundancy; none in the common case. */
    List<Op> healOps(String bucket, String key, String uploadId, List<Segment> segments) {
        List<Op> ops = new ArrayList<>();
        for (Segment seg : segments) {
            if (seg.getMissingShardsCount() == 0) continue;
            HealRecord h = HealRecord.newBuilder()
                    .setBucket(bucket)
                    .setKey(key)
                    .setShardSet(seg.getShardSet())
                    .setUploadId(uploadId)
                    .addAllShards(seg.getMissingShardsList())
                    .setQueuedUnixMs(System.currentTimeMillis())
                    .setReason("written below full redundancy")
                    .build();
            ops.add(Op.put(bs(keys.heal(seg.getShardSet())), value(h), PutOption.DEFAULT));
        }
        return ops;
    }

    Cmp bucketExists(String bucket) {
        return new Cmp(bs(keys.bucket(bucket)), Cmp.Op.GREATER, CmpTarget.version(0));
    }

    /** The fast path of every write: the bucket never had versioning configured. */
    Cmp notVersioned(String bucket) {
        return new Cmp(bs(keys.versioning(bucket)), Cmp.Op.EQUAL, CmpTarget.version(0));
    }

    private static VersionedObjects.State state(List<KeyValue> versioningKey) {
        if (versioningKey.isEmpty()) return new VersionedObjects.State(Versioning.UNVERSIONED, 0);
        KeyValue v = versioningKey.get(0);
        boolean enabled = parse(v, BucketVersioning::parseFrom).getEnabled();
        return new VersionedObjects.State(enabled ? Versioning.ENABLED : Versioning.SUSPENDED, v.getModRevision());
    }

    VersionedObjects.State versioningState(String bucket) {
        return state(getOne(keys.versioning(bucket)).map(List::of).orElse(List.of()));
    }

    @Override
    public List<ObjectRecord> versionsWithData(String bucket, String key) {
        return versioned.withData(bucket, key);
    }

    @Override
    public Versioning versioning(String bucket) {
        return versioningState(bucket).versioning();
    }

    @Override
    public boolean setVersioning(String bucket, boolean enabled) {
        return putBucketSetting(
                bucket,
                keys.versioning(bucket),
                value(BucketVersioning.newBuilder().setEnabled(enabled).build()));
    }

    @Override
    public Optional<ObjectRecord> getVersion(String bucket, String key, String versionId) {
        TxnResponse r = etcd.read(kv -> kv.txn()
                .Then(
                        Op.get(bs(keys.versioning(bucket)), GetOption.DEFAULT),
                        Op.get(bs(keys.object(bucket, key)), GetOption.DEFAULT))
                .commit());
        if (!r.getGetResponses().get(0).getKvs().isEmpty()) return versioned.get(bucket, key, versionId);
        List<KeyValue> current = r.getGetResponses().get(1).getKvs();
        if (current.isEmpty() || versionId != null && !versionId.equals(NULL_VERSION)) return Optional.empty();
        return Optional.of(parse(current.get(0), ObjectRecord::parseFrom));
    }

    @Override
    public List<ListedVersion> scanVersions(
            String bucket, String fromPosition, boolean inclusive, int limit, long revision) {
        String prefix = keys.versionPrefix(bucket);
        byte[] start = Keys.utf8(prefix + fromPosition);
        if (!inclusive) start = append0(start);
        GetOption.Builder opt = GetOption.builder().withRange(ByteSequence.from(Keys.prefixEnd(Keys.utf8(prefix))));
        if (limit > 0) opt.withLimit(limit);
        if (revision > 0) opt.withRevision(revision);
        List<ListedVersion> out = new ArrayList<>();
        while (true) {
            ByteSequence from = ByteSequence.from(start);
            List<KeyValue> page = etcd.scan(kv -> kv.get(from, opt.build())).getKvs();
            for (KeyValue v : page) {
                String position = v.getKey().toString().substring(prefix.length());
                int sep = position.indexOf(Keys.VERSION_SEPARATOR);
                if (sep < 0 || sep == position.length() - 1) continue; // a key's guard, not a version
                out.add(new ListedVersion(position.substring(0, sep), position, parse(v, ObjectRecord::parseFrom)));
            }
            // guards are skipped: read on until the page is as full as asked, or the versions end
            if (limit <= 0 || out.size() >= limit || page.size() < limit) break;
            start = append0(page.getLast().getKey().getBytes());
            opt.withLimit(limit - out.size());
        }
        return out;
    }

    Cmp notBeingDeleted(String bucket) {
        return new Cmp(bs(keys.bucketDeleting(bucket)), Cmp.Op.EQUAL, CmpTarget.version(0));
    }

    /** Waits out another request's DeleteBucket marker, with backoff, for up to {@link #BUSY_WAIT_MS}. */
    static final class BusyWait {
        private final String bucket;
        private final long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUSY_WAIT_MS);
        private int pauses;

        BusyWait(String bucket) {
            this.bucket = bucket;
        }

        void pause() {
            if (System.nanoTime() > deadlineNanos) throw new BucketBusyException(bucket);
            try {
                Thread.sleep(Math.min(1L << Math.min(pauses++, 6), 50)); // 1, 2, 4 ... 50 ms
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MetadataUnavailableException("interrupted", e);
            }
        }
    }

    static Cmp sameRevision(ByteSequence key, Optional<KeyValue> current) {
        return current.map(kv -> new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision())))
                .orElseGet(() -> new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)));
    }

    Optional<KeyValue> getOne(String key) {
        List<KeyValue> kvs = etcd.read(kv -> kv.get(bs(key))).getKvs();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0));
    }

    List<KeyValue> getPrefix(String prefix, int limit) {
        GetOption.Builder opt = GetOption.builder().isPrefix(true);
        if (limit > 0) opt.withLimit(limit);
        return etcd.scan(kv -> kv.get(bs(prefix), opt.build())).getKvs();
    }

    private static byte[] append0(byte[] key) {
        byte[] out = new byte[key.length + 1];
        System.arraycopy(key, 0, out, 0, key.length);
        return out;
    }

    static ByteSequence bs(String s) {
        return ByteSequence.from(Keys.utf8(s));
    }

    static ByteSequence value(MessageLite m) {
        return ByteSequence.from(m.toByteArray());
    }

    interface Parser<T> {
        T parse(byte[] bytes) throws InvalidProtocolBufferException;
    }

    static <T> T parse(KeyValue kv, Parser<T> parser) {
        try {
            return RecordFormat.check(parser.parse(kv.getValue().getBytes()), kv.getKey());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt metadata at " + kv.getKey(), e);
        }
    }
}
