package io.basalt.coordinator.admin;

import java.util.Locale;

/** The human-readable form of {@link ClusterStatus}. */
final class StatusText {

    private StatusText() {}

    static String format(ClusterStatus s) {
        StringBuilder b = new StringBuilder();
        b.append("coordinator: ").append(s.leader() == null ? "no leader" : s.leader() + " leads");
        if (s.leader() != null && s.leaderRelease() != null)
            b.append(", release ").append(s.leaderRelease());
        if (s.statusAgeMs() != null)
            b.append(" (status ").append(s.statusAgeMs() / 1000).append(" s old)");
        b.append('\n');
        long live = s.nodes().stream()
                .filter(n -> n.state().equals(ClusterStatus.Node.LIVE))
                .count();
        b.append(String.format(
                Locale.ROOT, "nodes: %d live, %d down%n", live, s.nodes().size() - live));
        if (!s.nodes().isEmpty()) {
            int w = Math.max(
                    2, s.nodes().stream().mapToInt(n -> n.id().length()).max().orElse(2));
            int a = Math.max(
                    7,
                    s.nodes().stream().mapToInt(n -> n.address().length()).max().orElse(7));
            String row = "  %-" + w + "s  %-5s  %-" + a + "s  %-8s  %-22s  %-20s  %-14s  %s%n";
            b.append(String.format(
                    Locale.ROOT, row, "ID", "STATE", "ADDRESS", "ZONE", "FREE", "SHARDS", "RELEASE", "DRAIN"));
            for (ClusterStatus.Node n : s.nodes()) {
                boolean up = n.state().equals(ClusterStatus.Node.LIVE);
                b.append(String.format(
                        Locale.ROOT,
                        row,
                        n.id(),
                        n.state(),
                        dash(n.address()),
                        dash(n.zone()),
                        up || n.totalBytes() > 0
                                ? AdminMain.bytes(n.freeBytes()) + " of " + AdminMain.bytes(n.totalBytes())
                                : "-",
                        n.shards() + " (" + AdminMain.bytes(n.usedBytes()) + ")",
                        // releases before 0.2 do not say
                        n.release() == null ? "before 0.2" : n.release(),
                        drain(n.drain())));
                for (String by : n.suspectedBy()) {
                    b.append("    avoided for now by ").append(by).append('\n');
                }
                if (!n.failedDirs().isEmpty()) {
                    b.append("    failed data dirs (restart the node once replaced): ")
                            .append(String.join(", ", n.failedDirs()))
                            .append('\n');
                }
            }
        }
        CoordinatorStatus.Heal h = s.heal();
        // without a published status only the queue lengths are known
        String limit = s.statusAgeMs() == null
                ? ""
                : ", limit " + (h.rateBytesPerSecond() == 0 ? "none" : AdminMain.bytes(h.rateBytesPerSecond()) + "/s");
        b.append(String.format(
                Locale.ROOT,
                "heal: %d queued, %d healed, %d failed, %d objects scanned, %s rebuilt%s%s%n",
                h.queued(),
                h.healed(),
                h.failed(),
                h.scanned(),
                AdminMain.bytes(h.bytes()),
                limit,
                h.requestPending() ? ", full scan requested" : ""));
        b.append("gc: ").append(s.gc().pending()).append(" pending\n");
        CoordinatorStatus.Rebalance r = s.rebalance();
        if (r != null && (r.requestPending() || !r.state().equals(CoordinatorStatus.Rebalance.IDLE))) {
            b.append(String.format(
                    Locale.ROOT,
                    "rebalance: %s%s, tolerance %s points, %d moves planned, %d moved (%s), %d failed%n",
                    r.state(),
                    r.requestPending() ? " (requested)" : "",
                    r.tolerancePoints(),
                    r.planned(),
                    r.moved(),
                    AdminMain.bytes(r.bytes()),
                    r.failed()));
        }
        ClusterStatus.Lifecycle lc = s.lifecycle();
        if (lc != null && lc.buckets() > 0) {
            CoordinatorStatus.Lifecycle p = lc.progress();
            b.append(String.format(Locale.ROOT, "lifecycle: %d buckets with rules", lc.buckets()));
            if (p == null || p.passes() == 0) {
                b.append(", no pass yet");
            } else {
                b.append(String.format(
                        Locale.ROOT,
                        ", %d passes, last %d s ago (%d objects scanned in %d ms), %d objects expired, %d uploads aborted",
                        p.passes(),
                        Math.max(0, System.currentTimeMillis() - p.lastPassStartedUnixMs()) / 1000,
                        p.lastPassScanned(),
                        p.lastPassMillis(),
                        p.expired(),
                        p.uploadsAborted()));
            }
            if (p != null && p.runningSinceUnixMs() > 0) b.append(", a pass running");
            b.append('\n');
        }
        b.append(String.format(Locale.ROOT, "objects: %d total, %d degraded", s.objectsTotal(), s.objectsDegraded()));
        return b.toString();
    }

    private static String drain(ClusterStatus.Drain d) {
        if (d == null) return "-";
        if (d.safeToRemove()) return "drained: safe to remove";
        return String.format(Locale.ROOT, "%s: %d left, %d moved", d.state(), d.remainingShards(), d.movedShards());
    }

    private static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }
}
