package io.basalt.coordinator;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.core.meta.Keys;
import io.basalt.proto.meta.NodeRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The zone of every node a segment may name, also of nodes that are down (from
 * {@code nodes-seen/}): keeping an object's spread means counting the zones of all its shards.
 * The seen records change rarely, so they are re-read at most every few seconds.
 */
final class NodeZones {

    private static final long REFRESH_MS = 5_000;

    private final Client client;
    private final Keys keys;
    private Map<String, String> seen = Map.of();
    private long readAtMs;

    NodeZones(Client client, Keys keys) {
        this.client = client;
        this.keys = keys;
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
        try {
            for (KeyValue kv : client.getKVClient().get(ByteSequence.from(keys.nodesSeen(), StandardCharsets.UTF_8),
                    GetOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS).getKvs()) {
                try {
                    NodeRecord n = NodeRecord.parseFrom(kv.getValue().getBytes());
                    out.put(n.getNodeId(), n.getZone());
                } catch (InvalidProtocolBufferException e) {
                    // an unreadable record names no zone
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("etcd: " + e.getMessage(), e);
        }
        return out;
    }
}
