package io.basalt.core.meta;

import static io.basalt.core.meta.Etcd.bs;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.proto.meta.AccessKeyRecord;
import io.basalt.proto.meta.BucketGrant;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * {@link AccessStore} on etcd: keys under {@code access-keys/<id>}, grants under
 * {@code grants/<bucket>/<id>}, policies under {@code bucket-policies/<bucket>} (see {@link Keys}).
 * Keys and grants are few (an operator makes them), so listing reads them whole.
 */
final class EtcdAccessStore implements AccessStore {

    private final Client client;
    private final EtcdCalls etcd;
    private final Keys keys;

    /** Reads and writes through {@code etcd} (writes fenced, as the object store's); watches through {@code client}. */
    EtcdAccessStore(Client client, EtcdCalls etcd, Keys keys) {
        this.client = client;
        this.etcd = etcd;
        this.keys = keys;
    }

    @Override
    public boolean create(AccessKeyRecord key) {
        ByteSequence k = bs(keys.accessKey(key.getAccessKeyId()));
        return etcd.commit(txn -> txn.If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)))
                        .Then(Op.put(k, ByteSequence.from(key.toByteArray()), PutOption.DEFAULT)))
                .isSucceeded();
    }

    @Override
    public Optional<AccessKeyRecord> get(String accessKeyId) {
        return etcd.get(keys.accessKey(accessKeyId)).map(e -> parseKey(e.getValue()));
    }

    @Override
    public List<AccessKeyRecord> list() {
        List<AccessKeyRecord> out = new ArrayList<>();
        for (KeyValue e : etcd.under(keys.accessKeys())) out.add(parseKey(e.getValue()));
        return out;
    }

    @Override
    public boolean delete(String accessKeyId) {
        boolean deleted = deleteKey(keys.accessKey(accessKeyId));
        // Its grants go after it: with the key gone they allow nobody anything, and an id is never
        // made twice (20 random characters), so a crash between the two leaves only dead records.
        for (String bucket : grantsOf(accessKeyId).keySet()) revoke(bucket, accessKeyId);
        return deleted;
    }

    @Override
    public GrantResult grant(String bucket, String accessKeyId, BucketGrant grant) {
        ByteSequence keyKey = bs(keys.accessKey(accessKeyId));
        ByteSequence bucketKey = bs(keys.bucket(bucket));
        TxnResponse r = etcd.commit(txn -> txn.If(
                        new Cmp(keyKey, Cmp.Op.GREATER, CmpTarget.version(0)),
                        new Cmp(bucketKey, Cmp.Op.GREATER, CmpTarget.version(0)))
                .Then(Op.put(
                        bs(keys.grant(bucket, accessKeyId)), ByteSequence.from(grant.toByteArray()), PutOption.DEFAULT))
                .Else(Op.get(keyKey, GetOption.builder().withCountOnly(true).build())));
        if (r.isSucceeded()) return GrantResult.DONE;
        return r.getGetResponses().getFirst().getCount() == 0 ? GrantResult.NO_SUCH_KEY : GrantResult.NO_SUCH_BUCKET;
    }

    @Override
    public boolean revoke(String bucket, String accessKeyId) {
        return deleteKey(keys.grant(bucket, accessKeyId));
    }

    @Override
    public Optional<BucketGrant> grantOf(String bucket, String accessKeyId) {
        return etcd.get(keys.grant(bucket, accessKeyId)).map(e -> parseGrant(e.getValue()));
    }

    @Override
    public Map<String, BucketGrant> grantsOf(String accessKeyId) {
        Map<String, BucketGrant> out = new TreeMap<>();
        for (KeyValue e : etcd.under(keys.grants())) {
            String[] bucketAndKey = grantPath(e.getKey());
            if (bucketAndKey != null && bucketAndKey[1].equals(accessKeyId))
                out.put(bucketAndKey[0], parseGrant(e.getValue()));
        }
        return out;
    }

    @Override
    public boolean putPolicy(String bucket, String json) {
        return etcd.commit(txn -> txn.If(new Cmp(bs(keys.bucket(bucket)), Cmp.Op.GREATER, CmpTarget.version(0)))
                        .Then(Op.put(bs(keys.bucketPolicy(bucket)), bs(json), PutOption.DEFAULT)))
                .isSucceeded();
    }

    @Override
    public Optional<String> policy(String bucket) {
        return etcd.get(keys.bucketPolicy(bucket)).map(e -> e.getValue().toString(StandardCharsets.UTF_8));
    }

    @Override
    public boolean deletePolicy(String bucket) {
        return deleteKey(keys.bucketPolicy(bucket));
    }

    @Override
    public Subscription watch(Consumer<Change> changed, Consumer<Throwable> failed) {
        List<Watch.Watcher> watchers = List.of(
                watchPrefix(keys.accessKeys(), Change.Key::new, changed, failed),
                watchPrefix(
                        keys.grants(),
                        rest -> {
                            int slash = rest.indexOf('/');
                            return slash <= 0
                                    ? null
                                    : new Change.Grant(rest.substring(0, slash), rest.substring(slash + 1));
                        },
                        changed,
                        failed),
                watchPrefix(keys.bucketPolicies(), Change.Policy::new, changed, failed));
        return () -> watchers.forEach(Watch.Watcher::close);
    }

    /** Watches {@code prefix}: each changed key, less the prefix, made a change by {@code change} (null: none). */
    private Watch.Watcher watchPrefix(
            String prefix,
            java.util.function.Function<String, Change> change,
            Consumer<Change> changed,
            Consumer<Throwable> failed) {
        return client.getWatchClient()
                .watch(
                        bs(prefix),
                        WatchOption.builder().isPrefix(true).build(),
                        Watch.listener(
                                r -> {
                                    for (WatchEvent e : r.getEvents()) {
                                        String key = e.getKeyValue().getKey().toString(StandardCharsets.UTF_8);
                                        Change c = change.apply(key.substring(prefix.length()));
                                        if (c != null) changed.accept(c);
                                    }
                                },
                                failed::accept));
    }

    /** {bucket, key id} of a grant's etcd key, or null for a key that is not one. */
    private String[] grantPath(ByteSequence key) {
        String rest =
                key.toString(StandardCharsets.UTF_8).substring(keys.grants().length());
        int slash = rest.indexOf('/');
        return slash <= 0 ? null : new String[] {rest.substring(0, slash), rest.substring(slash + 1)};
    }

    /** Deletes {@code key} in a fenced transaction: a revoke that timed out cannot land after a later grant. */
    private boolean deleteKey(String key) {
        return etcd.commit(txn -> txn.Then(Op.delete(bs(key), DeleteOption.DEFAULT)))
                        .getDeleteResponses()
                        .getFirst()
                        .getDeleted()
                > 0;
    }

    private static AccessKeyRecord parseKey(ByteSequence value) {
        try {
            return RecordFormat.check(AccessKeyRecord.parseFrom(value.getBytes()), "access-keys/");
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("unreadable access key record in etcd", e);
        }
    }

    private static BucketGrant parseGrant(ByteSequence value) {
        try {
            return RecordFormat.check(BucketGrant.parseFrom(value.getBytes()), "grants/");
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("unreadable bucket grant in etcd", e);
        }
    }
}
