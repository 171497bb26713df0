package io.basalt.coordinator;

import io.basalt.coordinator.admin.CoordinatorStatus;
import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.ClusterAdmin;
import io.basalt.core.meta.ClusterMetadata;
import io.basalt.proto.meta.NodeRecord;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * While this coordinator leads, writes its {@link CoordinatorStatus} to {@code status/coordinator}
 * every few seconds, and the record of every live node to {@code nodes-seen/<id>} so an operator
 * still sees a node after its lease (and {@code nodes/<id>}) is gone.
 */
final class StatusPublisher extends LeaderTask {

    private static final Logger log = LogManager.getLogger(StatusPublisher.class);

    private final String id;
    private final ClusterMetadata metadata;
    private final Membership membership;
    private final Healer healer;
    private final HealRate rate;
    private final Rebalancer rebalancer;
    private final LifecycleRunner lifecycle;
    /** What nodes-seen/ holds as far as this process knows, so unchanged nodes are not rewritten. */
    private final Map<String, NodeRecord> written = new ConcurrentHashMap<>();

    StatusPublisher(
            String id,
            ClusterMetadata metadata,
            Membership membership,
            Healer healer,
            HealRate rate,
            Rebalancer rebalancer,
            LifecycleRunner lifecycle,
            Duration interval) {
        super("status", Duration.ZERO, interval);
        this.id = id;
        this.metadata = metadata;
        this.membership = membership;
        this.healer = healer;
        this.rate = rate;
        this.rebalancer = rebalancer;
        this.lifecycle = lifecycle;
    }

    @Override
    protected void pass() {
        publish();
    }

    void publish() {
        recordSeenNodes();
        ClusterAdmin admin = metadata.admin();
        CoordinatorStatus status = new CoordinatorStatus(
                id,
                System.currentTimeMillis(),
                new CoordinatorStatus.Heal(
                        metadata.heals().size(),
                        healer.healed.get(),
                        healer.failed.get(),
                        healer.scanned.get(),
                        healer.bytes.get(),
                        rate.bytesPerSecond(),
                        admin.isPending(ClusterAdmin.Request.HEAL)),
                new CoordinatorStatus.Gc(metadata.garbage().size()),
                rebalancer.status(admin.isPending(ClusterAdmin.Request.REBALANCE)),
                lifecycle.status());
        admin.publishStatus("coordinator", status.toJson());
    }

    private void recordSeenNodes() {
        for (NodeRecord n : membership.live().values()) {
            // free space changes constantly; only identity, location and release are worth a write
            NodeRecord before = written.get(n.getNodeId());
            if (before != null
                    && before.getAddress().equals(n.getAddress())
                    && before.getZone().equals(n.getZone())
                    && before.getRelease().equals(n.getRelease())) continue;
            metadata.nodes().recordSeen(n);
            written.put(n.getNodeId(), n);
        }
    }
}
