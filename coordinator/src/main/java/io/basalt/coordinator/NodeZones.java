package io.basalt.coordinator;

import io.basalt.core.meta.NodeRegistry;
import io.basalt.proto.meta.NodeRecord;
import java.util.HashMap;
import java.util.Map;

/**
 * The zone of every node a segment may name, also of nodes that are down (from
 * {@code nodes-seen/}): keeping an object's spread means counting the zones of all its shards.
 * The seen records change rarely, so they are re-read at most every few seconds.
 */
final class NodeZones {

    private static final long REFRESH_MS = 5_000;

    private final NodeRegistry nodes;
    private Map<String, String> seen = Map.of();
    private long readAtMs;

    NodeZones(NodeRegistry nodes) {
        this.nodes = nodes;
    }

    /** Zones by node id: the live records win over older ones. */
    synchronized Map<String, String> of(Map<String, NodeRecord> live) {
        long now = System.currentTimeMillis();
        if (now - readAtMs >= REFRESH_MS) {
            seen = readSeen();
            readAtMs = now;
        }
        Map<String, String> out = new HashMap<>(seen);
        for (NodeRecord n : live.values()) out.put(n.getNodeId(), n.getZone());
        return out;
    }

    private Map<String, String> readSeen() {
        Map<String, String> out = new HashMap<>();
        for (NodeRecord n : nodes.seen().values()) out.put(n.getNodeId(), n.getZone());
        return out;
    }
}
