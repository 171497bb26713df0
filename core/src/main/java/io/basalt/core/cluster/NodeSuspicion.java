package io.basalt.core.cluster;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Nodes that just failed a request, remembered for a short while so that new writes avoid
 * them before their etcd lease runs out (a killed node keeps its key for up to the lease TTL).
 */
public final class NodeSuspicion {

    static final int LATE_STREAK = 3;

    private final long holdMs;
    private final ConcurrentHashMap<String, Long> until = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> lateStreak = new ConcurrentHashMap<>();

    public NodeSuspicion(long holdMs) {
        this.holdMs = holdMs;
    }

    public void failed(String nodeId) {
        until.put(nodeId, System.currentTimeMillis() + holdMs);
    }

    /**
     * The node was too slow for a request (a read hedged around it, a write dropped its shard).
     * Alone that is the ordinary tail of a loaded node; {@value #LATE_STREAK} times with no answer
     * in time between them is a paused or stuck node, which is then suspected like a failed one.
     * Suspecting at once would, in a cluster of k+m nodes, write every object of the next seconds
     * one shard short whenever a node's tail is long.
     */
    public void late(String nodeId) {
        if (lateStreak.merge(nodeId, 1, Integer::sum) >= LATE_STREAK) {
            lateStreak.remove(nodeId);
            failed(nodeId);
        }
    }

    /** The node answered a request in time: its streak of late answers ends. */
    public void onTime(String nodeId) {
        if (!lateStreak.isEmpty()) lateStreak.remove(nodeId);
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
