package io.basalt.core.meta;

import static io.basalt.core.meta.Etcd.bs;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * {@link ClusterAdmin} on etcd: requests under {@code admin/}, drains under {@code admin/drain/<node>},
 * settings under {@code config/}, published status under {@code status/}; values are UTF-8 text.
 *
 * <p>Its reads and writes go through {@link EtcdCalls}, as the object store's do: around a frozen member, and every
 * write fenced, so that a drain cancelled or a setting written by a call that timed out cannot land after a later
 * one. Watches and the suspects' leases stay on the shared client.
 */
final class EtcdClusterAdmin implements ClusterAdmin {

    private final Client client;
    private final EtcdCalls etcd;
    private final Keys keys;

    EtcdClusterAdmin(Client client, EtcdCalls etcd, Keys keys) {
        this.client = client;
        this.etcd = etcd;
        this.keys = keys;
    }

    private String key(Request request) {
        return switch (request) {
            case HEAL -> keys.adminHealRequest();
            case REBALANCE -> keys.adminRebalanceRequest();
        };
    }

    @Override
    public void request(Request request, String value) {
        put(bs(key(request)), value);
    }

    @Override
    public Optional<Versioned<String>> pending(Request request) {
        return etcd.get(key(request)).map(e -> new Versioned<>(request.name(), text(e), e.getModRevision()));
    }

    @Override
    public boolean isPending(Request request) {
        GetOption count = GetOption.builder().isPrefix(true).withCountOnly(true).build();
        return etcd.read(kv -> kv.get(bs(key(request)), count)).getCount() > 0;
    }

    @Override
    public void complete(Request request, Versioned<String> asRead) {
        deleteIfUnchanged(bs(key(request)), asRead.revision());
    }

    @Override
    public boolean startDrain(String nodeId, String value) {
        ByteSequence key = bs(keys.drain(nodeId));
        return etcd.commit(txn -> txn.If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
                        .Then(Op.put(key, bs(value), PutOption.DEFAULT)))
                .isSucceeded();
    }

    @Override
    public boolean cancelDrain(String nodeId) {
        return etcd.commit(txn -> txn.Then(Op.delete(bs(keys.drain(nodeId)), DeleteOption.DEFAULT)))
                        .getDeleteResponses()
                        .getFirst()
                        .getDeleted()
                > 0;
    }

    @Override
    public Map<String, Versioned<String>> drains() {
        Map<String, Versioned<String>> out = new LinkedHashMap<>();
        String prefix = keys.drainPrefix();
        for (KeyValue e : etcd.under(prefix)) {
            String node = e.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
            out.put(node, new Versioned<>(node, text(e), e.getModRevision()));
        }
        return out;
    }

    @Override
    public void updateDrain(Versioned<String> asRead, String value) {
        ByteSequence key = bs(keys.drain(asRead.name()));
        etcd.commit(txn -> txn.If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(asRead.revision())))
                .Then(Op.put(key, bs(value), PutOption.DEFAULT)));
    }

    /** Drain records are few and rarely change: their ids are read in full. */
    @Override
    public Draining draining() {
        GetOption keysOnly =
                GetOption.builder().isPrefix(true).withKeysOnly(true).build();
        GetResponse r;
        try {
            r = etcd.scan(kv -> kv.get(bs(keys.drainPrefix()), keysOnly));
        } catch (MetadataUnavailableException e) {
            throw new MetadataUnavailableException("cannot read drained nodes from etcd: " + e.getMessage(), e);
        }
        Set<String> ids = new TreeSet<>();
        for (KeyValue e : r.getKvs())
            ids.add(e.getKey().toString().substring(keys.drainPrefix().length()));
        return new Draining(ids, r.getHeader().getRevision());
    }

    @Override
    public Subscription watchDrains(long afterRevision, Runnable changed, Consumer<Throwable> failed) {
        Watch.Watcher watcher = client.getWatchClient()
                .watch(
                        bs(keys.drainPrefix()),
                        WatchOption.builder()
                                .isPrefix(true)
                                .withRevision(afterRevision + 1)
                                .build(),
                        Watch.listener(response -> changed.run(), failed::accept));
        return watcher::close;
    }

    @Override
    public Optional<String> setting(String name) {
        return etcd.get(keys.config(name)).map(EtcdClusterAdmin::text);
    }

    @Override
    public void putSetting(String name, String value) {
        put(bs(keys.config(name)), value);
    }

    @Override
    public void publishStatus(String component, String status) {
        put(bs(keys.status(component)), status);
    }

    @Override
    public Optional<String> status(String component) {
        return etcd.get(keys.status(component)).map(EtcdClusterAdmin::text);
    }

    @Override
    public CompletableFuture<Void> reportSuspect(String nodeId, String reporter, String reason, Duration ttl) {
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        // a report that lands late does no harm: it expires with its lease
        return client.getLeaseClient()
                .grant(seconds)
                .thenCompose(lease -> client.getKVClient()
                        .put(
                                bs(keys.suspect(nodeId, reporter)),
                                bs(reason),
                                PutOption.builder().withLeaseId(lease.getID()).build()))
                .thenApply(put -> null);
    }

    @Override
    public List<Suspect> suspects() {
        String prefix = keys.suspectsPrefix();
        List<Suspect> out = new ArrayList<>();
        for (KeyValue e : etcd.under(prefix)) {
            String rest = e.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash < 0) continue;
            out.add(new Suspect(rest.substring(0, slash), rest.substring(slash + 1), text(e)));
        }
        return out;
    }

    /** The election's first candidate by creation holds it; its value is the coordinator id. */
    @Override
    public Optional<String> leader() {
        GetOption firstCreated = GetOption.builder()
                .isPrefix(true)
                .withSortField(GetOption.SortTarget.CREATE)
                .withSortOrder(GetOption.SortOrder.ASCEND)
                .withLimit(1)
                .build();
        List<KeyValue> kvs =
                etcd.read(kv -> kv.get(bs(keys.election() + "/"), firstCreated)).getKvs();
        return kvs.stream().findFirst().map(EtcdClusterAdmin::text);
    }

    private void deleteIfUnchanged(ByteSequence key, long revision) {
        etcd.commit(txn -> txn.If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(revision)))
                .Then(Op.delete(key, DeleteOption.DEFAULT)));
    }

    private void put(ByteSequence key, String value) {
        etcd.commit(txn -> txn.Then(Op.put(key, bs(value), PutOption.DEFAULT)));
    }

    private static String text(KeyValue e) {
        return e.getValue().toString(StandardCharsets.UTF_8);
    }
}
