package io.basalt.core.erasure;

import io.basalt.proto.meta.Segment;

/** Where readers report what they meet: an unreachable node, or a shard that failed its checksum. */
public interface ShardProblems {

    void nodeFailed(String nodeId);

    void corruptShard(Segment segment, int shard);

    ShardProblems NONE = new ShardProblems() {
        @Override
        public void nodeFailed(String nodeId) {
        }

        @Override
        public void corruptShard(Segment segment, int shard) {
        }
    };
}
