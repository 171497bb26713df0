package io.basalt.core.cluster;

import io.basalt.core.meta.ClusterAdmin;
import io.basalt.core.meta.NodeRegistry;
import io.basalt.core.meta.Subscription;
import io.basalt.proto.meta.NodeRecord;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The live storage nodes, as their leases in etcd say: a node's key exists while it keeps
 * its lease alive. Kept current by a watch, and re-read in full periodically so a broken
 * watch never leaves a stale view for long. Nodes an operator drains ({@code admin/drain/<id>})
 * stay live for reads but are left out of {@link #writable()}, so new shards skip them at once.
 */
public final class Membership implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(Membership.class);

    private final NodeRegistry nodes;
    private final ClusterAdmin admin;
    private final ScheduledExecutorService timer;
    private final CopyOnWriteArrayList<Consumer<Map<String, NodeRecord>>> listeners = new CopyOnWriteArrayList<>();
    private volatile Map<String, NodeRecord> live = Map.of();
    private volatile Subscription watcher;
    private volatile Subscription drainWatcher;
    private volatile Set<String> draining = Set.of();

    private Membership(NodeRegistry nodes, ClusterAdmin admin) {
        this.nodes = nodes;
        this.admin = admin;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "membership");
            t.setDaemon(true);
            return t;
        });
    }

    public static Membership start(NodeRegistry nodes, ClusterAdmin admin) {
        Membership m = new Membership(nodes, admin);
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
        watcher = nodes.watchLive(revision, this::apply, error -> {
            log.warn("membership watch failed ({}); re-reading", error.toString());
            timer.schedule(this::reloadAndWatchQuietly, 1, TimeUnit.SECONDS);
        });
        long drainRevision = reloadDraining();
        if (drainWatcher != null) drainWatcher.close();
        drainWatcher = admin.watchDrains(
                drainRevision,
                this::reloadDrainingQuietly,
                error -> log.warn("drain watch failed ({}); the periodic re-read catches up", error.toString()));
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
        ClusterAdmin.Draining r = admin.draining();
        Set<String> next = new TreeSet<>(r.nodeIds());
        if (!next.equals(draining)) log.info("nodes being drained: {}", next);
        draining = Set.copyOf(next);
        return r.revision();
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
        NodeRegistry.LiveNodes r = nodes.live();
        Map<String, NodeRecord> next = new TreeMap<>();
        for (NodeRecord n : r.byId().values()) next.put(n.getNodeId(), n);
        publish(next);
        return r.revision();
    }

    private synchronized void apply(NodeRegistry.Change c) {
        Map<String, NodeRecord> next = new TreeMap<>(live);
        if (c.record() == null) {
            next.remove(c.nodeId());
        } else {
            next.put(c.nodeId(), c.record());
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

    @Override
    public void close() {
        timer.shutdownNow();
        if (watcher != null) watcher.close();
        if (drainWatcher != null) drainWatcher.close();
    }
}
