package io.basalt.coordinator.admin;

import static io.basalt.core.meta.Etcd.await;
import static io.basalt.core.meta.Etcd.bs;

import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;

import java.util.Locale;

/**
 * What an operator asks of the leading coordinator, written to etcd: the CLI and tests go
 * through here so both speak the same keys and values.
 */
public final class AdminRequests {

    /** Default: a node more than 5 percentage points fuller than the cluster's mean gives shards away. */
    public static final double DEFAULT_REBALANCE_TOLERANCE_POINTS = 5.0;

    private AdminRequests() {
    }

    /** Starts draining {@code nodeId}; false when it is already being drained (its progress is kept). */
    public static boolean drain(EtcdMetadataStore meta, Keys keys, String nodeId) {
        ByteSequence key = bs(keys.drain(nodeId));
        return await(meta.client().getKVClient().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
                .Then(Op.put(key, bs(DrainStatus.requested(System.currentTimeMillis()).toJson()), PutOption.DEFAULT))
                .commit()).isSucceeded();
    }

    /** Cancels a drain: the node takes new shards again. False when it was not being drained. */
    public static boolean undrain(EtcdMetadataStore meta, Keys keys, String nodeId) {
        return await(meta.client().getKVClient().delete(bs(keys.drain(nodeId)), DeleteOption.DEFAULT)).getDeleted() > 0;
    }

    /** Asks for usage to be evened out to within {@code tolerancePoints} percentage points of the mean. */
    public static void rebalance(EtcdMetadataStore meta, Keys keys, double tolerancePoints) {
        if (!(tolerancePoints >= 0)) throw new IllegalArgumentException("tolerance must be >= 0 points");
        await(meta.client().getKVClient().put(bs(keys.adminRebalanceRequest()),
                bs(String.format(Locale.ROOT, "%s", tolerancePoints))));
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
