package io.basalt.storage;

import io.basalt.proto.shard.ShardInfo;
import java.nio.file.Path;

/** Builds the wire ShardInfo from what the node knows about a stored shard. */
final class ShardInfos {
    private ShardInfos() {}

    static ShardInfo of(String shardId, ShardHeader header, long modifiedUnixMs, Path dataDir) {
        return ShardInfo.newBuilder()
                .setShardId(shardId)
                .setLength(header.length())
                .setChunkSize(header.chunkSize())
                .setCrc32C(header.shardCrc32c())
                .setModifiedUnixMs(modifiedUnixMs)
                .setDataDir(dataDir.toString())
                .build();
    }

    static ShardInfo of(ShardStore.Stat stat) {
        return of(stat.shardId(), stat.header(), stat.modifiedUnixMs(), stat.dataDir());
    }
}
