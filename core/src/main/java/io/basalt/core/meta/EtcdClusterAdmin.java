package io.basalt.core.meta;

import static io.basalt.core.meta.Etcd.await;
import static io.basalt.core.meta.Etcd.bs;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@link ClusterAdmin} on etcd: requests under {@code admin/}, drains under {@code admin/drain/<node>},
 * settings under {@code config/}, published status under {@code status/}; values are UTF-8 text.
 */
final class EtcdClusterAdmin implements ClusterAdmin {

    private final Client client;
    private final KV kv;
    private final Keys keys;

    EtcdClusterAdmin(Client client, Keys keys) {
        this.client = client;
        this.kv = client.getKVClient();
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
        await(kv.put(bs(key(request)), bs(value)));
    }

    @Override
    public Optional<Versioned<String>> pending(Request request) {
        return await(kv.get(bs(key(request)))).getKvs().stream()
                .findFirst()
                .map(e -> new Versioned<>(request.name(), text(e), e.getModRevision()));
    }

    @Override
    public boolean isPending(Request request) {
        return await(kv.get(
                                bs(key(request)),
                                GetOption.builder()
                                        .isPrefix(true)
                                        .withCountOnly(true)
                                        .build()))
                        .getCount()
                > 0;
    }

    @Override
    public void complete(Request request, Versioned<String> asRead) {
        deleteIfUnchanged(bs(key(request)), asRead.revision());
    }

    @Override
    public boolean startDrain(String nodeId, String value) {
        ByteSequence key = bs(keys.drain(nodeId));
        return await(kv.txn()
                        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
                        .Then(Op.put(key, bs(value), PutOption.DEFAULT))
                        .commit())
                .isSucceeded();
    }

    @Override
    public boolean cancelDrain(String nodeId) {
        return await(kv.delete(bs(keys.drain(nodeId)), DeleteOption.DEFAULT)).getDeleted() > 0;
    }

    @Override
    public Map<String, Versioned<String>> drains() {
        Map<String, Versioned<String>> out = new LinkedHashMap<>();
        String prefix = keys.drainPrefix();
        for (KeyValue e : await(
                        kv.get(bs(prefix), GetOption.builder().isPrefix(true).build()))
                .getKvs()) {
            String node = e.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
            out.put(node, new Versioned<>(node, text(e), e.getModRevision()));
        }
        return out;
    }

    @Override
    public void updateDrain(Versioned<String> asRead, String value) {
        ByteSequence key = bs(keys.drain(asRead.name()));
        await(kv.txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(asRead.revision())))
                .Then(Op.put(key, bs(value), PutOption.DEFAULT))
                .commit());
    }

    /** Drain records are few and rarely change: their ids are read in full. */
    @Override
    public Draining draining() {
        GetResponse r;
        try {
            r = kv.get(
                            bs(keys.drainPrefix()),
                            GetOption.builder()
                                    .isPrefix(true)
                                    .withKeysOnly(true)
                                    .build())
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read drained nodes from etcd: " + e.getMessage(), e);
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
        return await(kv.get(bs(keys.config(name)))).getKvs().stream()
                .findFirst()
                .map(EtcdClusterAdmin::text);
    }

    @Override
    public void putSetting(String name, String value) {
        await(kv.put(bs(keys.config(name)), bs(value)));
    }

    @Override
    public void publishStatus(String component, String status) {
        await(kv.put(bs(keys.status(component)), bs(status)));
    }

    @Override
    public Optional<String> status(String component) {
        return await(kv.get(bs(keys.status(component)))).getKvs().stream()
                .findFirst()
                .map(EtcdClusterAdmin::text);
    }

    @Override
    public CompletableFuture<Void> reportSuspect(String nodeId, String reporter, String reason, Duration ttl) {
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        return client.getLeaseClient()
                .grant(seconds)
                .thenCompose(lease -> kv.put(
                        bs(keys.suspect(nodeId, reporter)),
                        bs(reason),
                        PutOption.builder().withLeaseId(lease.getID()).build()))
                .thenApply(put -> null);
    }

    @Override
    public List<Suspect> suspects() {
        String prefix = keys.suspectsPrefix();
        List<Suspect> out = new ArrayList<>();
        for (KeyValue e : await(
                        kv.get(bs(prefix), GetOption.builder().isPrefix(true).build()))
                .getKvs()) {
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
        List<KeyValue> kvs = await(kv.get(
                        bs(keys.election() + "/"),
                        GetOption.builder()
                                .isPrefix(true)
                                .withSortField(GetOption.SortTarget.CREATE)
                                .withSortOrder(GetOption.SortOrder.ASCEND)
                                .withLimit(1)
                                .build()))
                .getKvs();
        return kvs.stream().findFirst().map(EtcdClusterAdmin::text);
    }

    private void deleteIfUnchanged(ByteSequence key, long revision) {
        await(kv.txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(revision)))
                .Then(Op.delete(key, DeleteOption.DEFAULT))
                .commit());
    }

    private static String text(KeyValue e) {
        return e.getValue().toString(StandardCharsets.UTF_8);
    }
}
