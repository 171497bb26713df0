package io.basalt.coordinator.console;

import io.basalt.coordinator.admin.AdminRequests;
import io.basalt.coordinator.admin.ClusterStatus;
import io.basalt.coordinator.admin.StatusCollector;
import io.basalt.core.meta.ClusterMetadata;
import java.util.Optional;

/**
 * The cluster as {@code basalt admin} sees it, from etcd: status (nodes, zones, disks, objects, heal, GC,
 * rebalance, drains), object placement, and the operations an operator asks of the leading coordinator.
 * The status scan reads every object record, so it runs at most once per {@link #STATUS_TTL_MS} whatever
 * number of pages refresh.
 */
final class ClusterView {

    static final long STATUS_TTL_MS = 1500;

    private final ClusterMetadata meta;
    private final StatusCollector collector;
    private final ObjectPlacement placement;
    private ClusterStatus status;
    private long statusAtMs;

    ClusterView(ClusterMetadata meta) {
        this.meta = meta;
        this.collector = new StatusCollector(meta);
        this.placement = new ObjectPlacement(meta);
    }

    synchronized ClusterStatus status() {
        long now = System.currentTimeMillis();
        if (status == null || now - statusAtMs >= STATUS_TTL_MS) {
            status = collector.collect();
            statusAtMs = now;
        }
        return status;
    }

    /** The heal rate operators set at run time, empty when the coordinator's flag applies. */
    Optional<String> healRateSetting() {
        return meta.admin().setting(AdminRequests.HEAL_RATE_SETTING);
    }

    Optional<ObjectPlacement.Placement> placement(String bucket, String key) {
        return placement.of(bucket, key);
    }

    boolean drain(String node) {
        invalidate();
        return AdminRequests.drain(meta.admin(), node);
    }

    boolean undrain(String node) {
        invalidate();
        return AdminRequests.undrain(meta.admin(), node);
    }

    void heal(String accessKey) {
        invalidate();
        AdminRequests.heal(meta.admin(), "the console (key " + accessKey + ")");
    }

    void healRate(double mbPerSecond) {
        AdminRequests.healRate(meta.admin(), mbPerSecond);
    }

    private synchronized void invalidate() {
        status = null;
    }
}
