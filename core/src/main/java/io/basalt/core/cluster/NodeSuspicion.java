package io.basalt.core.cluster;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Nodes that just failed a request, remembered for a short while so that new writes avoid
 * them before their etcd lease runs out (a killed node keeps its key for up to the lease TTL).
 */
public final class NodeSuspicion {

    private final long holdMs;
    private final ConcurrentHashMap<String, Long> until = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> lastLate = new ConcurrentHashMap<>();

    public NodeSuspicion(long holdMs) {
        this.holdMs = holdMs;
    }

    public void failed(String nodeId) {
        until.put(nodeId, System.currentTimeMillis() + holdMs);
    }

    /**
     * The node answered, but later than the others by more than they allow (its shard was dropped).
     * Once is ordinary jitter; twice within a sixth of the hold time is a paused or saturated node,
     * which then takes no new writes for a while. Suspecting at the first would, in a cluster
     * of k+m nodes, write every object of the next seconds one shard short.
     */
    public void late(String nodeId) {
        long now = System.currentTimeMillis();
        Long previous = lastLate.put(nodeId, now);
        if (previous != null && now - previous <= holdMs / 6) failed(nodeId);
    }

    public boolean suspect(String nodeId) {
        Long t = until.get(nodeId);
        if (t == null) return false;
        if (t > System.currentTimeMillis()) return true;
        until.remove(nodeId, t);
        return false;
    }

    /** The candidates not under suspicion, or all of them when too few would remain. */
    public <T> Collection<T> preferHealthy(Collection<T> nodes, java.util.function.Function<T, String> id, int needed) {
        List<T> healthy = nodes.stream().filter(n -> !suspect(id.apply(n))).toList();
        return healthy.size() >= needed ? healthy : nodes;
    }
}
