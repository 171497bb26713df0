package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.shard.ShardInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node with two data dirs spreads shards over both and finds each wherever it is. */
class MultiDirTest {
    @TempDir
    Path dirA;

    @TempDir
    Path dirB;

    @Test
    void shardsSpreadOverDirsAndAllAreReadable() throws Exception {
        Map<String, byte[]> written = new HashMap<>();
        Map<String, Integer> perDir = new HashMap<>();
        try (StorageNode node = StorageNode.start(StorageNodeConfig.local("multi", List.of(dirA, dirB)));
                ShardClient client = new ShardClient(node.port())) {
            for (int i = 0; i < 40; i++) {
                String id = "set" + i + ".0";
                byte[] data = ShardServiceTest.randomBytes(700 + i, i);
                ShardInfo info = client.write(id, data, 256);
                written.put(id, data);
                perDir.merge(info.getDataDir(), 1, Integer::sum);
            }
            assertEquals(2, perDir.size(), "both dirs used: " + perDir);

            for (var e : written.entrySet()) {
                assertArrayEquals(e.getValue(), client.read(e.getKey(), 0, 0));
                assertEquals(e.getValue().length, client.stat(e.getKey()).getLength());
            }
            List<String> expected = new ArrayList<>(written.keySet());
            expected.sort(null);
            assertEquals(expected, client.list("", "", 0));

            String id = "set7.0";
            Path dir = Path.of(client.stat(id).getDataDir());
            assertTrue(client.delete(id));
            assertFalse(Files.exists(
                    dir.resolve("shards").resolve(ShardId.fanOut(id)).resolve(id)));
        }

        // a restarted node still finds every shard in either dir
        try (StorageNode node = StorageNode.start(StorageNodeConfig.local("multi", List.of(dirA, dirB)));
                ShardClient client = new ShardClient(node.port())) {
            assertEquals(39, client.list("", "", 0).size());
            assertArrayEquals(written.get("set3.0"), client.read("set3.0", 0, 0));
        }
    }

    @Test
    void overwriteStaysInTheDirHoldingTheShard() throws Exception {
        try (StorageNode node = StorageNode.start(StorageNodeConfig.local("multi", List.of(dirA, dirB)));
                ShardClient client = new ShardClient(node.port())) {
            for (int i = 0; i < 10; i++) {
                String id = "ow" + i;
                String first = client.write(id, new byte[100], 64).getDataDir();
                byte[] second = ShardServiceTest.randomBytes(300, i);
                assertEquals(first, client.write(id, second, 64).getDataDir());
                assertArrayEquals(second, client.read(id, 0, 0));
            }
        }
    }
}
