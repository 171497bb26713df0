package io.basalt.core.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.core.meta.Keys;
import io.basalt.proto.meta.NodeRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The live storage nodes, as their leases in etcd say: a node's key exists while it keeps
 * its lease alive. Kept current by a watch, and re-read in full periodically so a broken
 * watch never leaves a stale view for long. Nodes an operator drains ({@code admin/drain/<id>})
 * stay live for reads but are left out of {@link #writable()}, so new shards skip them at once.
 */
public final class Membership implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(Membership.class);

    private final Client client;
    private final Keys keys;
    private final ScheduledExecutorService timer;
    private final CopyOnWriteArrayList<Consumer<Map<String, NodeRecord>>> listeners = new CopyOnWriteArrayList<>();
    private volatile Map<String, NodeRecord> live = Map.of();
    private volatile Watch.Watcher watcher;
    private volatile Watch.Watcher drainWatcher;
    private volatile Set<String> draining = Set.of();

    private Membership(Client client, Keys keys) {
        this.client = client;
        this.keys = keys;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "membership");
            t.setDaemon(true);
            return t;
        });
    }

    public static Membership start(Client client, Keys keys) {
        Membership m = new Membership(client, keys);
        try {
            m.reloadAndWatch();
        } catch (RuntimeException e) {
            // A slow or briefly leaderless etcd must not kill the process: start empty (not ready, no
            // placements) and keep trying; the readiness probe says when nodes are known.
            log.warn("membership: first read from etcd failed ({}); retrying", e.toString());
            m.timer.schedule(m::reloadAndWatchQuietly, 1, TimeUnit.SECONDS);
        }
        m.timer.scheduleWithFixedDelay(m::reloadQuietly, 10, 10, TimeUnit.SECONDS);
        return m;
    }

    /** Live nodes by id. */
    public Map<String, NodeRecord> live() {
        return live;
    }

    /** Live nodes that may receive new shards: every live node not being drained. */
    public Map<String, NodeRecord> writable() {
        Set<String> out = draining;
        if (out.isEmpty()) return live;
        Map<String, NodeRecord> w = new TreeMap<>(live);
        w.keySet().removeAll(out);
        return w;
    }

    /** Ids of the nodes being drained (live or not). */
    public Set<String> draining() {
        return draining;
    }

    public void onChange(Consumer<Map<String, NodeRecord>> listener) {
        listeners.add(listener);
    }

    private synchronized void reloadAndWatch() {
        long revision = reload();
        if (watcher != null) watcher.close();
        WatchOption opt = WatchOption.builder().isPrefix(true).withRevision(revision + 1).build();
        watcher = client.getWatchClient().watch(bs(keys.nodes()), opt, Watch.listener(
                response -> {
                    for (WatchEvent e : response.getEvents()) apply(e);
                },
                error -> {
                    log.warn("membership watch failed ({}); re-reading", error.toString());
                    timer.schedule(this::reloadAndWatchQuietly, 1, TimeUnit.SECONDS);
                }));
        long drainRevision = reloadDraining();
        if (drainWatcher != null) drainWatcher.close();
        drainWatcher = client.getWatchClient().watch(bs(keys.drainPrefix()),
                WatchOption.builder().isPrefix(true).withRevision(drainRevision + 1).build(), Watch.listener(
                        response -> reloadDrainingQuietly(),
                        error -> log.warn("drain watch failed ({}); the periodic re-read catches up", error.toString())));
    }

    private void reloadDrainingQuietly() {
        try {
            reloadDraining();
        } catch (RuntimeException e) {
            log.warn("re-reading drained nodes failed: {}", e.toString());
        }
    }

    /** Drain records are few and rarely change: re-read them all on any change. */
    private long reloadDraining() {
        GetResponse r;
        try {
            r = client.getKVClient().get(bs(keys.drainPrefix()), GetOption.builder().isPrefix(true).withKeysOnly(true).build())
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read drained nodes from etcd: " + e.getMessage(), e);
        }
        Set<String> next = new TreeSet<>();
        for (KeyValue kv : r.getKvs()) next.add(kv.getKey().toString().substring(keys.drainPrefix().length()));
        if (!next.equals(draining)) log.info("nodes being drained: {}", next);
        draining = Set.copyOf(next);
        return r.getHeader().getRevision();
    }

    private void reloadAndWatchQuietly() {
        try {
            reloadAndWatch();
        } catch (RuntimeException e) {
            log.warn("membership reload failed: {}", e.toString());
            timer.schedule(this::reloadAndWatchQuietly, 1, TimeUnit.SECONDS);
        }
    }

    private void reloadQuietly() {
        try {
            reload();
            reloadDraining();
        } catch (RuntimeException e) {
            log.warn("membership reload failed: {}", e.toString());
        }
    }

    private long reload() {
        GetResponse r;
        try {
            r = client.getKVClient().get(bs(keys.nodes()), GetOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read membership from etcd: " + e.getMessage(), e);
        }
        Map<String, NodeRecord> next = new TreeMap<>();
        for (KeyValue kv : r.getKvs()) {
            NodeRecord n = parse(kv);
            if (n != null) next.put(n.getNodeId(), n);
        }
        publish(next);
        return r.getHeader().getRevision();
    }

    private synchronized void apply(WatchEvent e) {
        Map<String, NodeRecord> next = new TreeMap<>(live);
        String id = e.getKeyValue().getKey().toString().substring(keys.nodes().length());
        if (e.getEventType() == WatchEvent.EventType.DELETE) {
            next.remove(id);
        } else {
            NodeRecord n = parse(e.getKeyValue());
            if (n != null) next.put(id, n);
        }
        publish(next);
    }

    private synchronized void publish(Map<String, NodeRecord> next) {
        boolean changed = !next.keySet().equals(live.keySet());
        live = Map.copyOf(next);
        if (changed) {
            for (Consumer<Map<String, NodeRecord>> l : listeners) l.accept(live);
        }
    }

    private static NodeRecord parse(KeyValue kv) {
        try {
            return NodeRecord.parseFrom(kv.getValue().getBytes());
        } catch (InvalidProtocolBufferException e) {
            log.warn("ignoring unreadable node record at {}", kv.getKey());
            return null;
        }
    }

    private static ByteSequence bs(String s) {
        return ByteSequence.from(Keys.utf8(s));
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (watcher != null) watcher.close();
        if (drainWatcher != null) drainWatcher.close();
    }
}
