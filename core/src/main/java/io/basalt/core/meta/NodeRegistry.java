package io.basalt.core.meta;

import io.basalt.proto.meta.NodeRecord;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The storage nodes: each live node keeps its record registered under a lease (an expired lease
 * is how the cluster learns a node is down), and the leading coordinator keeps the last record it
 * saw of every node, so nodes that are down still show with their address and zone.
 */
public interface NodeRegistry {

    /** A node's registration while it runs. */
    interface Registration extends AutoCloseable {
        /** Rewrites the record soon rather than at the next periodic refresh, e.g. after a disk failed. */
        void refreshSoon();

        /** Ends the registration: the record is gone at once, not when the lease expires. */
        @Override
        void close();
    }

    /** The live nodes' records by node id, as of {@code revision}. */
    record LiveNodes(Map<String, NodeRecord> byId, long revision) {}

    /** A live node's record changed ({@code record} set) or its lease ended ({@code record} null). */
    record Change(String nodeId, NodeRecord record) {}

    /**
     * Registers node {@code nodeId}, waiting for the first attempt; when it fails, keeps trying in the
     * background rather than failing the node's start. {@code record} is asked again at every refresh.
     */
    Registration register(String nodeId, Duration ttl, Supplier<NodeRecord> record);

    /** The live nodes now; unreadable records are left out. */
    LiveNodes live();

    /** Calls {@code each} for every change to the live nodes after {@code afterRevision}, {@code failed} if the watch breaks. */
    Subscription watchLive(long afterRevision, Consumer<Change> each, Consumer<Throwable> failed);

    /** Keeps {@code node} as the last record seen of it. */
    void recordSeen(NodeRecord node);

    /** The last record seen of every node that ever registered, by node id; unreadable ones are left out. */
    Map<String, NodeRecord> seen();
}
