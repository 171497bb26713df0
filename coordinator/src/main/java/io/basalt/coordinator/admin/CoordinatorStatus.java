package io.basalt.coordinator.admin;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.basalt.core.Release;

/**
 * What the leading coordinator publishes as JSON in {@code <prefix>status/coordinator} every few
 * seconds, for {@code basalt admin status} and for anyone's scripts. Field names are snake_case
 * and only ever added to, never renamed. {@code release}: the leader's Basalt release (absent before 0.2).
 */
public record CoordinatorStatus(
        String leader, long updatedUnixMs, Heal heal, Gc gc, Rebalance rebalance, Lifecycle lifecycle, String release) {

    public CoordinatorStatus(String leader, long updatedUnixMs, Heal heal, Gc gc) {
        this(leader, updatedUnixMs, heal, gc, null, null, Release.version());
    }

    public CoordinatorStatus(
            String leader, long updatedUnixMs, Heal heal, Gc gc, Rebalance rebalance, Lifecycle lifecycle) {
        this(leader, updatedUnixMs, heal, gc, rebalance, lifecycle, Release.version());
    }

    /**
     * Lifecycle rules at work since this coordinator started: {@code passes} over the buckets with rules,
     * the one running since {@code runningSinceUnixMs} (0: none), the last finished one (its start, length,
     * buckets with rules and objects scanned), and in all objects {@code expired} and uploads {@code
     * aborted}.
     */
    public record Lifecycle(
            long passes,
            long runningSinceUnixMs,
            long lastPassStartedUnixMs,
            long lastPassMillis,
            long lastPassBuckets,
            long lastPassScanned,
            long expired,
            long uploadsAborted) {}

    /**
     * Heal progress since this coordinator started: {@code queued} records waiting in heal/,
     * segments {@code healed} and {@code failed}, objects {@code scanned} looking for lost
     * shards, and {@code bytes} of shards rebuilt.
     */
    public record Heal(
            long queued,
            long healed,
            long failed,
            long scanned,
            long bytes,
            long rateBytesPerSecond,
            boolean requestPending) {}

    /**
     * Rebalance progress since this coordinator started: {@code state} is {@link #IDLE} (nothing
     * asked), {@link #RUNNING}, {@link #EVEN} (the last request finished: every node within the
     * tolerance, or no move left that would help); {@code planned} moves of the current pass,
     * shards {@code moved}, moves {@code failed}, and {@code bytes} copied.
     */
    public record Rebalance(
            String state,
            double tolerancePoints,
            long planned,
            long moved,
            long failed,
            long bytes,
            boolean requestPending) {
        public static final String IDLE = "idle";
        public static final String RUNNING = "running";
        public static final String EVEN = "even";
    }

    /** Garbage records waiting for their grace period or for their nodes to answer. */
    public record Gc(long pending) {}

    public static final Gson JSON = new GsonBuilder()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
            .serializeNulls()
            .create();

    public String toJson() {
        return JSON.toJson(this);
    }

    public static CoordinatorStatus fromJson(String json) {
        return JSON.fromJson(json, CoordinatorStatus.class);
    }
}
