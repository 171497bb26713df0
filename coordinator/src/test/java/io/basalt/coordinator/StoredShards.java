package io.basalt.coordinator;

import io.basalt.storage.ShardInventory;
import io.basalt.storage.ShardInventory.StoredShard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/** What the tests' storage nodes hold on disk, as shard files or pack records alike ({@link ShardInventory}). */
final class StoredShards {
    private StoredShards() {}

    static Optional<StoredShard> find(Path nodeDir, String shardId) {
        return all(nodeDir).stream().filter(s -> s.id().equals(shardId)).findFirst();
    }

    static StoredShard get(Path nodeDir, String shardId) {
        return find(nodeDir, shardId).orElseThrow(() -> new AssertionError(shardId + " not on disk in " + nodeDir));
    }

    /** The ids of the shards in a node's data dir; none if it has no dir. */
    static Set<String> ids(Path nodeDir) {
        Set<String> out = new TreeSet<>();
        for (StoredShard s : all(nodeDir)) out.add(s.id());
        return out;
    }

    /** Flips a byte of the shard's data, as bitrot would. */
    static void rot(Path nodeDir, String shardId) {
        if (!get(nodeDir, shardId).corrupt(1, new Random(shardId.hashCode())))
            throw new AssertionError("could not corrupt " + shardId);
    }

    private static java.util.List<StoredShard> all(Path nodeDir) {
        if (!Files.isDirectory(nodeDir)) return java.util.List.of();
        try {
            return ShardInventory.of(nodeDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
