package io.basalt.coordinator.admin;

import java.util.List;

/**
 * What {@code basalt admin status} reports; its JSON form ({@code --json}) is for scripts, so its
 * fields ({@code nodes}, {@code heal}, {@code objects_total}, {@code objects_degraded}, ...) are
 * only ever added to.
 *
 * @param leader id of the leading coordinator, null when none holds the election
 * @param statusAgeMs age of the leader's published status, null when none was ever published
 * @param objectsDegraded object versions with a segment missing a shard or holding one on a node not live
 * @param leaderRelease the Basalt release of the leading coordinator, from its published status; null when
 *     none was published or its release (before 0.2) does not say
 */
public record ClusterStatus(
        String leader,
        Long statusAgeMs,
        List<Node> nodes,
        CoordinatorStatus.Heal heal,
        CoordinatorStatus.Gc gc,
        long objectsTotal,
        long objectsDegraded,
        CoordinatorStatus.Rebalance rebalance,
        Lifecycle lifecycle,
        String leaderRelease) {

    /**
     * @param buckets buckets with a lifecycle configuration
     * @param progress the leader's passes over them (null before it published any)
     */
    public record Lifecycle(long buckets, CoordinatorStatus.Lifecycle progress) {}

    /**
     * @param state "live" (holds its lease) or "down" (seen before, or named by an object record)
     * @param shards shards of objects and of uploads in progress the metadata places on the node
     * @param usedBytes the bytes of those shards
     * @param drain null unless an operator is draining the node
     * @param failedDirs data dirs the node took out after I/O failures (free and total exclude them)
     * @param suspectedBy gateways avoiding the node for now, each as "reporter: reason" (a request to
     *     it failed, or it answered late several times in a row)
     * @param dataDirs the node's healthy data dirs (free and total bytes are their sum)
     * @param release the Basalt release the node runs (or ran, when down), null from releases before 0.2,
     *     which do not say
     */
    public record Node(
            String id,
            String address,
            String state,
            String zone,
            long freeBytes,
            long totalBytes,
            long shards,
            long usedBytes,
            Drain drain,
            List<String> failedDirs,
            List<String> suspectedBy,
            List<String> dataDirs,
            String release) {
        public static final String LIVE = "live";
        public static final String DOWN = "down";

        public Node {
            failedDirs = failedDirs == null ? List.of() : List.copyOf(failedDirs);
            suspectedBy = suspectedBy == null ? List.of() : List.copyOf(suspectedBy);
            dataDirs = dataDirs == null ? List.of() : List.copyOf(dataDirs);
        }

        public Node(String id, String address, String state, String zone, long freeBytes, long totalBytes) {
            this(id, address, state, zone, freeBytes, totalBytes, 0, 0, null, List.of(), List.of(), List.of(), null);
        }
    }

    /**
     * @param state "draining" or "drained" ({@link DrainStatus})
     * @param remainingShards referenced shards still on the node, counted by this status call
     * @param movedShards shards the coordinator moved off it so far
     * @param safeToRemove no referenced shard is left on the node: it can be shut down and removed
     */
    public record Drain(
            String state, long remainingShards, long movedShards, long failedShards, boolean safeToRemove) {}

    public String toJson() {
        return CoordinatorStatus.JSON.newBuilder().setPrettyPrinting().create().toJson(this);
    }

    public static ClusterStatus fromJson(String json) {
        return CoordinatorStatus.JSON.fromJson(json, ClusterStatus.class);
    }
}
