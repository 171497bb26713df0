package io.basalt.core.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Nodes that just failed a request, remembered for a short while so that new writes avoid
 * them before their etcd lease runs out (a killed node keeps its key for up to the lease TTL).
 */
public final class NodeSuspicion {

    private static final Logger log = LogManager.getLogger(NodeSuspicion.class);

    static final int LATE_STREAK = 3;

    private final long holdMs;
    private final ConcurrentHashMap<String, Long> until = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> lateStreak = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> toldAt = new ConcurrentHashMap<>();
    private volatile Listener listener = (nodeId, reason, hold) -> {};

    /** Told when a node comes under suspicion, and again while it stays there (at most every half hold). */
    @FunctionalInterface
    public interface Listener {
        /** Must not block: it runs on the request that found the node wanting. */
        void suspected(String nodeId, String reason, long holdMs);
    }

    public NodeSuspicion(long holdMs) {
        this.holdMs = holdMs;
    }

    /** Makes others see this process's suspicions (a gateway publishes them for {@code admin status}). */
    public void onSuspected(Listener listener) {
        this.listener = listener;
    }

    public void failed(String nodeId) {
        hold(nodeId, "a request to it failed");
    }

    private void hold(String nodeId, String reason) {
        long now = System.currentTimeMillis();
        until.put(nodeId, now + holdMs);
        // A node that keeps failing is suspected again on every request: tell once per half hold, so
        // a report (which lasts a hold) never lapses while the suspicion lasts, nor floods the listener.
        Long told = toldAt.get(nodeId);
        if (told != null && now - told < holdMs / 2) return;
        boolean mine = told == null ? toldAt.putIfAbsent(nodeId, now) == null : toldAt.replace(nodeId, told, now);
        if (mine) listener.suspected(nodeId, reason, holdMs);
    }

    /** How many nodes are under suspicion now. */
    public int suspectedCount() {
        long now = System.currentTimeMillis();
        return (int) until.values().stream().filter(t -> t > now).count();
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
            boolean already = suspect(nodeId);
            hold(nodeId, LATE_STREAK + " late answers in a row");
            if (!already)
                log.info("{} suspected for {} s: {} late answers in a row", nodeId, holdMs / 1000, LATE_STREAK);
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

    /**
     * The candidates not under suspicion while at least {@code needed} of them remain; otherwise the
     * healthy ones and then suspects, those whose suspicion ends soonest first, up to {@code wanted}
     * in all. Taking suspects back up to the full width, not just to {@code needed}, leaves a write
     * slack beyond its quorum: with exactly the quorum, every target (a paused one taken back too)
     * must answer before the write can. A node that keeps being late renews its suspicion and is
     * the last taken back.
     */
    public <T> Collection<T> preferHealthy(Collection<T> nodes, Function<T, String> id, int needed, int wanted) {
        List<T> healthy = new ArrayList<>(), suspects = new ArrayList<>();
        for (T n : nodes) (suspect(id.apply(n)) ? suspects : healthy).add(n);
        if (healthy.size() >= needed) return healthy;
        suspects.sort(Comparator.comparingLong(n -> until.getOrDefault(id.apply(n), 0L)));
        healthy.addAll(suspects.subList(0, Math.clamp(wanted - healthy.size(), 0, suspects.size())));
        return healthy;
    }
}
