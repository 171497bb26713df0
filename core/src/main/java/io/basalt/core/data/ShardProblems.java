package io.basalt.core.data;

import io.basalt.proto.meta.Segment;

/** Where readers report what they meet: an unreachable node, or a shard that failed its checksum. */
public interface ShardProblems {

    void nodeFailed(String nodeId);

    void corruptShard(Segment segment, int shard);

    /**
     * A read asked another shard because {@code slowNodeId}'s had not answered within the hedge
     * delay; {@code won}: the other one served the read (the slow one was cancelled).
     */
    default void hedged(String slowNodeId, boolean won) {}

    /** The node's shard answered within the hedge delay. */
    default void onTime(String nodeId) {}

    /** True for a node that failed or answered late recently: readers start elsewhere when they can. */
    default boolean suspect(String nodeId) {
        return false;
    }

    ShardProblems NONE = new ShardProblems() {
        @Override
        public void nodeFailed(String nodeId) {}

        @Override
        public void corruptShard(Segment segment, int shard) {}
    };
}
