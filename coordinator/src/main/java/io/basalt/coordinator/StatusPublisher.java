package io.basalt.coordinator;

import static io.basalt.core.meta.Etcd.await;
import static io.basalt.core.meta.Etcd.bs;

import io.basalt.coordinator.admin.CoordinatorStatus;
import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.Keys;
import io.basalt.proto.meta.NodeRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * While this coordinator leads, writes its {@link CoordinatorStatus} to {@code status/coordinator}
 * every few seconds, and the record of every live node to {@code nodes-seen/<id>} so an operator
 * still sees a node after its lease (and {@code nodes/<id>}) is gone.
 */
final class StatusPublisher extends LeaderTask {

    private static final Logger log = LogManager.getLogger(StatusPublisher.class);

    private final String id;
    private final Client client;
    private final Keys keys;
    private final Membership membership;
    private final Healer healer;
    private final HealRate rate;
    private final Rebalancer rebalancer;
    /** What nodes-seen/ holds as far as this process knows, so unchanged nodes are not rewritten. */
    private final Map<String, NodeRecord> written = new ConcurrentHashMap<>();

    StatusPublisher(String id, Client client, Keys keys, Membership membership, Healer healer, HealRate rate, Rebalancer rebalancer,
                    Duration interval) {
        super("status", Duration.ZERO, interval);
        this.id = id;
        this.client = client;
        this.keys = keys;
        this.membership = membership;
        this.healer = healer;
        this.rate = rate;
        this.rebalancer = rebalancer;
    }

    @Override
    protected void pass() {
        publish();
    }

    void publish() {
        recordSeenNodes();
        CoordinatorStatus status = new CoordinatorStatus(id, System.currentTimeMillis(),
                new CoordinatorStatus.Heal(count(keys.healPrefix()), healer.healed.get(), healer.failed.get(),
                        healer.scanned.get(), healer.bytes.get(), rate.bytesPerSecond(),
                        count(keys.adminHealRequest()) > 0),
                new CoordinatorStatus.Gc(count(keys.garbagePrefix())),
                rebalancer.status(count(keys.adminRebalanceRequest()) > 0));
        await(client.getKVClient().put(bs(keys.status("coordinator")), ByteSequence.from(status.toJson(), StandardCharsets.UTF_8)));
    }

    private void recordSeenNodes() {
        for (NodeRecord n : membership.live().values()) {
            // free space changes constantly; only identity and location are worth a write
            NodeRecord before = written.get(n.getNodeId());
            if (before != null && before.getAddress().equals(n.getAddress()) && before.getZone().equals(n.getZone())) continue;
            await(client.getKVClient().put(bs(keys.nodeSeen(n.getNodeId())), ByteSequence.from(n.toByteArray())));
            written.put(n.getNodeId(), n);
        }
    }

    private long count(String prefix) {
        return await(client.getKVClient().get(bs(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build())).getCount();
    }

}
