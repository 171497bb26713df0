package io.basalt.core.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Nodes that just failed a request, remembered for a short while so that new writes avoid
 * them before their etcd lease runs out (a killed node keeps its key for up to the lease TTL).
 */
public final class NodeSuspicion {

    private static final Logger log = LogManager.getLogger(NodeSuspicion.class);

    static final int LATE_STREAK = 3;
    /**
     * How long a streak of late answers must last before it counts: one hiccup of a node (a GC
     * pause, an fsync stall) makes every request in flight late at once, which says nothing about
     * the next second; a paused or stuck node stays late past this.
     */
    static final long LATE_SPAN_MS = 500;
    /**
     * How long a node found late is avoided: shorter than a failure's hold, as the node answers,
     * only slowly; it is renewed while the node stays late, and each new write it is left out of is
     * a shard to heal.
     */
    static final long LATE_HOLD_MS = 10_000;

    /**
     * How long reads start elsewhere after a node's last late answer. For a read, going around a
     * node costs nothing but a decode from parity, so one late answer is enough: a paused node is
     * then read around from its first hedge on, without a hedge (and its wait) per read until it is
     * suspected. Writes keep using it until it is suspected: each write without it is a heal.
     */
    static final long READ_AVOID_MS = 1_000;

    /** A run of late answers with none in time between: how many, and when the first came. */
    private record Streak(int count, long sinceMs) {}

    private final long holdMs;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, Long> until = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Streak> lateStreak = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> lastLate = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> toldAt = new ConcurrentHashMap<>();
    private volatile Listener listener = (nodeId, reason, hold) -> {};

    /** Told when a node comes under suspicion, and again while it stays there (at most every half hold). */
    @FunctionalInterface
    public interface Listener {
        /** Must not block: it runs on the request that found the node wanting. */
        void suspected(String nodeId, String reason, long holdMs);
    }

    public NodeSuspicion(long holdMs) {
        this(holdMs, System::currentTimeMillis);
    }

    /** @param clock milliseconds, for tests */
    NodeSuspicion(long holdMs, LongSupplier clock) {
        this.holdMs = holdMs;
        this.clock = clock;
    }

    /** Makes others see this process's suspicions (a gateway publishes them for {@code admin status}). */
    public void onSuspected(Listener listener) {
        this.listener = listener;
    }

    public void failed(String nodeId) {
        hold(nodeId, "a request to it failed", holdMs);
    }

    private void hold(String nodeId, String reason, long forMs) {
        long now = clock.getAsLong();
        until.merge(nodeId, now + forMs, Math::max); // a shorter hold never cuts a longer one
        // A node that keeps failing is suspected again on every request: tell once per half hold, so
        // a report (which lasts a hold) never lapses while the suspicion lasts, nor floods the listener.
        Long told = toldAt.get(nodeId);
        if (told != null && now - told < forMs / 2) return;
        boolean mine = told == null ? toldAt.putIfAbsent(nodeId, now) == null : toldAt.replace(nodeId, told, now);
        if (mine) listener.suspected(nodeId, reason, forMs);
    }

    /** How many nodes are under suspicion now. */
    public int suspectedCount() {
        long now = clock.getAsLong();
        return (int) until.values().stream().filter(t -> t > now).count();
    }

    /**
     * The node was too slow for a request (a read hedged around it, a write dropped its shard).
     * Alone that is the ordinary tail of a loaded node; {@value #LATE_STREAK} times with no answer
     * in time between them, over at least {@value #LATE_SPAN_MS} ms, is a paused or stuck node,
     * which is then avoided for {@value #LATE_HOLD_MS} ms (renewed while it stays late). Suspecting
     * at once would, in a cluster of k+m nodes, write every object of the next seconds one shard
     * short whenever a node's tail is long.
     */
    public void late(String nodeId) {
        long now = clock.getAsLong();
        lastLate.put(nodeId, now);
        Streak streak =
                lateStreak.merge(nodeId, new Streak(1, now), (old, one) -> new Streak(old.count() + 1, old.sinceMs()));
        if (streak.count() < LATE_STREAK || now - streak.sinceMs() < LATE_SPAN_MS) return;
        lateStreak.remove(nodeId);
        boolean already = suspect(nodeId);
        String reason = LATE_STREAK + "+ late answers in a row over " + (now - streak.sinceMs()) + " ms";
        hold(nodeId, reason, LATE_HOLD_MS);
        if (!already) log.info("{} suspected for {} s: {}", nodeId, LATE_HOLD_MS / 1000, reason);
    }

    /** The node answered a request in time: its streak of late answers ends. */
    public void onTime(String nodeId) {
        if (!lateStreak.isEmpty()) lateStreak.remove(nodeId);
        if (!lastLate.isEmpty()) lastLate.remove(nodeId);
    }

    /** Suspected, or late within the last {@value #READ_AVOID_MS} ms: reads start on other shards. */
    public boolean avoidForReads(String nodeId) {
        if (suspect(nodeId)) return true;
        Long t = lastLate.get(nodeId);
        return t != null && clock.getAsLong() - t < READ_AVOID_MS;
    }

    public boolean suspect(String nodeId) {
        Long t = until.get(nodeId);
        if (t == null) return false;
        if (t > clock.getAsLong()) return true;
        until.remove(nodeId, t);
        return false;
    }

    /**
     * The candidates not under suspicion while more than {@code needed} of them remain (or all
     * {@code wanted}); otherwise the healthy ones and then suspects, those whose suspicion ends
     * soonest first, up to {@code wanted} in all. A write keeps a spare beyond its quorum: with
     * exactly the quorum every target must answer, so one more slow node (the next one paused, while
     * the last one is still suspected after it came back) would hold the write until it answers;
     * with a spare, a suspect that is still slow costs only the grace after the quorum. A node that
     * keeps being late renews its suspicion and is the last taken back.
     */
    public <T> Collection<T> preferHealthy(Collection<T> nodes, Function<T, String> id, int needed, int wanted) {
        List<T> healthy = new ArrayList<>(), suspects = new ArrayList<>();
        for (T n : nodes) (suspect(id.apply(n)) ? suspects : healthy).add(n);
        if (healthy.size() > needed || healthy.size() >= wanted) return healthy;
        suspects.sort(Comparator.comparingLong(n -> until.getOrDefault(id.apply(n), 0L)));
        healthy.addAll(suspects.subList(0, Math.clamp(wanted - healthy.size(), 0, suspects.size())));
        return healthy;
    }
}
