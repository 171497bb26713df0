package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Any shard, chunked any way, read over any range, returns exactly that slice. */
class ShardRangePropertyTest {
    private static Path dataDir;
    private static StorageNode node;
    private static ShardClient client;
    private static final AtomicInteger ids = new AtomicInteger();

    @BeforeContainer
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("basalt-prop-");
        node = StorageNode.start(StorageNodeConfig.local("prop", List.of(dataDir)));
        client = new ShardClient(node.port());
    }

    @AfterContainer
    static void stop() throws Exception {
        client.close();
        node.close();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 60)
    void rangeReadReturnsTheSlice(
            @ForAll @Size(max = 300 * 1024) byte[] data,
            @ForAll @IntRange(min = 16, max = 64 * 1024) int chunkSize,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int a,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int b)
            throws IOException {
        String id = "p." + ids.incrementAndGet();
        assertEquals(data.length, client.write(id, data, chunkSize).getLength());
        int offset = data.length == 0 ? 0 : a % (data.length + 1);
        int length = b % (data.length - offset + 1); // 0 means "to the end"
        int end = length == 0 ? data.length : offset + length;
        assertArrayEquals(Arrays.copyOfRange(data, offset, end), client.read(id, offset, length));
        client.delete(id);
    }
}
