package io.basalt.core.meta;

import static io.basalt.core.meta.Etcd.await;
import static io.basalt.core.meta.Etcd.bs;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.proto.meta.NodeRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@link NodeRegistry} on etcd: a live node's record is {@code nodes/<id>} under its lease, the last
 * record seen of it {@code nodes-seen/<id>} (no lease).
 */
final class EtcdNodeRegistry implements NodeRegistry {

    private static final Logger log = LogManager.getLogger(EtcdNodeRegistry.class);

    private final Client client;
    private final Keys keys;
    private final Supplier<LeaseRenewal> renewals;

    /** @param renewals a {@link LeaseRenewal} for each registration */
    EtcdNodeRegistry(Client client, Keys keys, Supplier<LeaseRenewal> renewals) {
        this.client = client;
        this.keys = keys;
        this.renewals = renewals;
    }

    @Override
    public Registration register(String nodeId, Duration ttl, Supplier<NodeRecord> record) {
        return EtcdNodeRegistration.start(client, renewals.get(), keys.node(nodeId), ttl, record);
    }

    @Override
    public LiveNodes live() {
        GetResponse r;
        try {
            r = client.getKVClient()
                    .get(bs(keys.nodes()), GetOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read membership from etcd: " + e.getMessage(), e);
        }
        Map<String, NodeRecord> byId = new TreeMap<>();
        for (KeyValue kv : r.getKvs()) {
            NodeRecord n = parseLive(kv);
            if (n != null) byId.put(idOf(kv, keys.nodes()), n);
        }
        return new LiveNodes(byId, r.getHeader().getRevision());
    }

    @Override
    public Subscription watchLive(long afterRevision, Consumer<Change> each, Consumer<Throwable> failed) {
        WatchOption opt = WatchOption.builder()
                .isPrefix(true)
                .withRevision(afterRevision + 1)
                .build();
        Watch.Watcher watcher = client.getWatchClient()
                .watch(
                        bs(keys.nodes()),
                        opt,
                        Watch.listener(
                                response -> {
                                    for (WatchEvent e : response.getEvents()) {
                                        String id = idOf(e.getKeyValue(), keys.nodes());
                                        if (e.getEventType() == WatchEvent.EventType.DELETE) {
                                            each.accept(new Change(id, null));
                                        } else {
                                            NodeRecord n = parseLive(e.getKeyValue());
                                            if (n != null) each.accept(new Change(id, n));
                                        }
                                    }
                                },
                                failed::accept));
        return watcher::close;
    }

    @Override
    public void recordSeen(NodeRecord node) {
        await(client.getKVClient().put(bs(keys.nodeSeen(node.getNodeId())), ByteSequence.from(node.toByteArray())));
    }

    @Override
    public Map<String, NodeRecord> seen() {
        Map<String, NodeRecord> out = new TreeMap<>();
        for (KeyValue kv : await(client.getKVClient()
                        .get(
                                bs(keys.nodesSeen()),
                                GetOption.builder().isPrefix(true).build()))
                .getKvs()) {
            try {
                out.put(
                        idOf(kv, keys.nodesSeen()),
                        RecordFormat.check(NodeRecord.parseFrom(kv.getValue().getBytes()), kv.getKey()));
            } catch (InvalidProtocolBufferException e) {
                // an unreadable record says nothing about the node; skip it
            }
        }
        return out;
    }

    private static String idOf(KeyValue kv, String prefix) {
        return kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
    }

    private static NodeRecord parseLive(KeyValue kv) {
        try {
            return RecordFormat.check(NodeRecord.parseFrom(kv.getValue().getBytes()), kv.getKey());
        } catch (InvalidProtocolBufferException e) {
            log.warn("ignoring unreadable node record at {}", kv.getKey());
            return null;
        }
    }
}
