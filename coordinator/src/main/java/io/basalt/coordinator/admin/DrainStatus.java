package io.basalt.coordinator.admin;

/**
 * The value of {@code admin/drain/<node>}: written by {@code basalt admin drain} when the operator
 * asks, then updated by the leading coordinator as it moves the node's shards away. The key's
 * existence is the intent (new shards skip the node); deleting it cancels the drain.
 *
 * @param state {@link #DRAINING} until a full pass found no referenced shard left on the node, then {@link #DRAINED}
 * @param remainingShards shards still referenced on the node when the last pass ended
 * @param movedShards shards moved off the node since the drain was asked for
 * @param failedShards moves that failed (retried on the next pass)
 */
public record DrainStatus(
        String state,
        long requestedUnixMs,
        long updatedUnixMs,
        long remainingShards,
        long movedShards,
        long failedShards) {

    public static final String DRAINING = "draining";
    public static final String DRAINED = "drained";

    public static DrainStatus requested(long nowMs) {
        return new DrainStatus(DRAINING, nowMs, nowMs, -1, 0, 0);
    }

    public String toJson() {
        return CoordinatorStatus.JSON.toJson(this);
    }

    /** A record nobody can parse still means "drain this node". */
    public static DrainStatus fromJson(String json) {
        try {
            DrainStatus d = CoordinatorStatus.JSON.fromJson(json, DrainStatus.class);
            return d == null || d.state() == null ? requested(0) : d;
        } catch (RuntimeException e) {
            return requested(0);
        }
    }
}
