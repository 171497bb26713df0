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
 */
public record ClusterStatus(String leader, Long statusAgeMs, List<Node> nodes, CoordinatorStatus.Heal heal,
                            CoordinatorStatus.Gc gc, long objectsTotal, long objectsDegraded) {

    /**
     * @param state "live" (holds its lease) or "down" (seen before, or named by an object record)
     * @param failedDirs data dirs the node took out after I/O failures (free and total exclude them)
     */
    public record Node(String id, String address, String state, String zone, long freeBytes, long totalBytes,
                       List<String> failedDirs) {
        public static final String LIVE = "live";
        public static final String DOWN = "down";

        public Node {
            failedDirs = failedDirs == null ? List.of() : List.copyOf(failedDirs);
        }

        public Node(String id, String address, String state, String zone, long freeBytes, long totalBytes) {
            this(id, address, state, zone, freeBytes, totalBytes, List.of());
        }
    }

    public String toJson() {
        return CoordinatorStatus.JSON.newBuilder().setPrettyPrinting().create().toJson(this);
    }

    public static ClusterStatus fromJson(String json) {
        return CoordinatorStatus.JSON.fromJson(json, ClusterStatus.class);
    }
}
