package io.basalt.coordinator.admin;

import io.basalt.core.meta.ClusterAdmin;
import java.util.Locale;

/**
 * What an operator asks of the leading coordinator, written to etcd: the CLI and tests go
 * through here so both speak the same values.
 */
public final class AdminRequests {

    /** Default: a node more than 5 percentage points fuller than the cluster's mean gives shards away. */
    public static final double DEFAULT_REBALANCE_TOLERANCE_POINTS = 5.0;

    /** The run-time setting of the heal rate in MB/s (2^20 bytes), read by the leader at most once a second. */
    public static final String HEAL_RATE_SETTING = "heal-rate-mbps";

    private AdminRequests() {}

    /** Asks the leading coordinator for a full heal scan of every object, on its next pass. */
    public static void heal(ClusterAdmin admin, String requestedBy) {
        admin.request(ClusterAdmin.Request.HEAL, "requested " + java.time.Instant.now() + " by " + requestedBy);
    }

    /** Sets the rate heal, drain and rebalance write new shards at, in MB/s (0: unlimited). */
    public static void healRate(ClusterAdmin admin, double mbPerSecond) {
        if (!(mbPerSecond >= 0) || Double.isInfinite(mbPerSecond))
            throw new IllegalArgumentException("the heal rate must be a number of MB/s >= 0");
        admin.putSetting(HEAL_RATE_SETTING, String.format(Locale.ROOT, "%s", mbPerSecond));
    }

    /** Starts draining {@code nodeId}; false when it is already being drained (its progress is kept). */
    public static boolean drain(ClusterAdmin admin, String nodeId) {
        return admin.startDrain(
                nodeId, DrainStatus.requested(System.currentTimeMillis()).toJson());
    }

    /** Cancels a drain: the node takes new shards again. False when it was not being drained. */
    public static boolean undrain(ClusterAdmin admin, String nodeId) {
        return admin.cancelDrain(nodeId);
    }

    /** Asks for usage to be evened out to within {@code tolerancePoints} percentage points of the mean. */
    public static void rebalance(ClusterAdmin admin, double tolerancePoints) {
        if (!(tolerancePoints >= 0)) throw new IllegalArgumentException("tolerance must be >= 0 points");
        admin.request(ClusterAdmin.Request.REBALANCE, String.format(Locale.ROOT, "%s", tolerancePoints));
    }

    /** The tolerance a rebalance request carries, in percentage points. */
    public static double tolerancePoints(String requestValue) {
        try {
            double t = Double.parseDouble(requestValue.trim());
            return t >= 0 ? t : DEFAULT_REBALANCE_TOLERANCE_POINTS;
        } catch (NumberFormatException e) {
            return DEFAULT_REBALANCE_TOLERANCE_POINTS;
        }
    }
}
