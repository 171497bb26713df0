package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.shard.DeleteShardRequest;
import io.basalt.proto.shard.DeleteShardResponse;
import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ShardInfo;
import io.basalt.proto.shard.StatShardRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShardServiceTest {
    private static final int CHUNK = 1000;

    @TempDir
    Path dataDir;

    StorageNode node;
    ShardClient client;

    @BeforeEach
    void start() throws Exception {
        node = StorageNode.start(StorageNodeConfig.local("n1", List.of(dataDir)));
        client = new ShardClient(node.port());
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        node.close();
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    @Test
    void writeThenReadWholeAndRanges() {
        byte[] data = randomBytes(3500, 1);
        ShardInfo written = client.write("obj1.0", data, CHUNK);
        assertEquals(3500, written.getLength());

        assertArrayEquals(data, client.read("obj1.0", 0, 0));
        assertArrayEquals(slice(data, 100, 200), client.read("obj1.0", 100, 100), "inside one chunk");
        assertArrayEquals(slice(data, 950, 2050), client.read("obj1.0", 950, 1100), "across two boundaries");
        assertArrayEquals(slice(data, 999, 1001), client.read("obj1.0", 999, 2), "last and first byte of two chunks");
        assertArrayEquals(slice(data, 1500, 3500), client.read("obj1.0", 1500, 0), "unaligned to the end");
        assertArrayEquals(slice(data, 1000, 2000), client.read("obj1.0", 1000, 1000), "exactly one chunk");
        assertArrayEquals(slice(data, 3100, 3500), client.read("obj1.0", 3100, 0), "to the end");
        assertArrayEquals(slice(data, 3000, 3500), client.read("obj1.0", 3000, 10_000), "clipped at the end");
        assertArrayEquals(new byte[0], client.read("obj1.0", 3500, 0), "empty at the end");
        assertEquals(Status.Code.OUT_OF_RANGE, code(() -> client.read("obj1.0", 3501, 0)));
    }

    /** Offsets of the messages a read of [offset, offset+length) gets, checking none exceeds a chunk. */
    private List<Long> messageOffsets(String id, long offset, long length) {
        var it = client.blocking()
                .readShard(ReadShardRequest.newBuilder()
                        .setShardId(id)
                        .setOffset(offset)
                        .setLength(length)
                        .build());
        List<Long> offsets = new java.util.ArrayList<>();
        it.forEachRemaining(r -> {
            assertTrue(r.getData().size() <= CHUNK, r.getData().size() + " bytes in one message");
            offsets.add(r.getOffset());
        });
        return offsets;
    }

    @Test
    void readSendsAChunkSizeOfBytesPerMessage() {
        client.write("msgs", randomBytes(3500, 2), CHUNK);
        assertEquals(List.of(0L, 1000L, 2000L, 3000L), messageOffsets("msgs", 0, 0), "aligned: the stored chunks");
        assertEquals(List.of(500L, 1500L), messageOffsets("msgs", 500, 2000), "unaligned: a chunk's worth each");
        assertEquals(List.of(999L), messageOffsets("msgs", 999, 2), "last byte of one chunk, first of the next");
        assertEquals(List.of(2600L), messageOffsets("msgs", 2600, 900), "into the short last chunk");
        assertEquals(List.of(1000L), messageOffsets("msgs", 1000, 1000), "exactly one chunk");
    }

    @Test
    void remoteReaderTakesEveryMessageOfARangeWithAOneMessageWindow() throws Exception {
        byte[] data = randomBytes(3500, 4);
        client.write("remote", data, CHUNK);
        try (var clients = new io.basalt.core.shard.ShardClients()) {
            // [500, 3000) comes as three messages, the last one short: each grant but the last is needed
            for (long[] r : new long[][] {{500, 2500}, {999, 2}, {0, 3500}, {2600, 900}}) {
                try (var in = io.basalt.core.shard.RemoteShardReader.open(
                        clients, "n1", "127.0.0.1:" + node.port(), "remote", r[0], r[1], 10_000, 1)) {
                    byte[] got = new byte[(int) r[1]];
                    int split = got.length / 3; // takes that do not follow message edges
                    byte[] head = new byte[split];
                    in.readFully(head, split);
                    System.arraycopy(head, 0, got, 0, split);
                    byte[] rest = new byte[got.length - split];
                    in.readFully(rest, rest.length);
                    System.arraycopy(rest, 0, got, split, rest.length);
                    assertArrayEquals(slice(data, (int) r[0], (int) (r[0] + r[1])), got, r[0] + "+" + r[1]);
                }
            }
        }
    }

    @Test
    void statReportsWhatWasWritten() {
        byte[] data = randomBytes(2500, 3);
        client.write("s1", data, CHUNK);
        ShardInfo info = client.stat("s1");
        CRC32C crc = new CRC32C();
        crc.update(data);
        assertEquals("s1", info.getShardId());
        assertEquals(2500, info.getLength());
        assertEquals(CHUNK, info.getChunkSize());
        assertEquals((int) crc.getValue(), info.getCrc32C());
        assertEquals(dataDir.toAbsolutePath().normalize().toString(), info.getDataDir());
        assertTrue(info.getModifiedUnixMs() > 0);
        assertEquals(Status.Code.NOT_FOUND, code(() -> client.stat("missing")));
        assertEquals(Status.Code.NOT_FOUND, code(() -> client.read("missing", 0, 0)));
    }

    @Test
    void emptyShard() {
        ShardInfo info = client.write("empty", new byte[0], CHUNK);
        assertEquals(0, info.getLength());
        assertArrayEquals(new byte[0], client.read("empty", 0, 0));
        assertEquals(Status.Code.OUT_OF_RANGE, code(() -> client.read("empty", 1, 0)));
    }

    @Test
    void listFiltersByPrefixStartAfterAndLimit() {
        for (String id : List.of("b.2", "a.1", "b.1", "b.10", "c.1", "b.3")) {
            client.write(id, randomBytes(10, id.hashCode()), CHUNK);
        }
        assertEquals(List.of("a.1", "b.1", "b.10", "b.2", "b.3", "c.1"), client.list("", "", 0));
        assertEquals(List.of("b.1", "b.10", "b.2", "b.3"), client.list("b.", "", 0));
        assertEquals(List.of("b.2", "b.3"), client.list("b.", "b.10", 0));
        assertEquals(List.of("b.1", "b.10"), client.list("b.", "", 2));
        assertEquals(List.of("c.1"), client.list("", "b.3", 5));
        assertEquals(List.of(), client.list("z", "", 0));
    }

    @Test
    void conditionalDeleteKeepsACopyWrittenAfterTheCutoff() {
        ShardInfo info = client.write("g1", randomBytes(1500, 5), CHUNK);
        long writtenAt = client.blocking()
                .statShard(StatShardRequest.newBuilder().setShardId("g1").build())
                .getModifiedUnixMs();
        DeleteShardResponse kept = client.blocking()
                .deleteShard(DeleteShardRequest.newBuilder()
                        .setShardId("g1")
                        .setOnlyIfWrittenBeforeUnixMs(writtenAt)
                        .build());
        assertTrue(kept.getExisted() && kept.getKept(), "a copy written at the cutoff is newer, not garbage");
        assertEquals(
                info.getLength(),
                client.blocking()
                        .statShard(
                                StatShardRequest.newBuilder().setShardId("g1").build())
                        .getLength());
        DeleteShardResponse gone = client.blocking()
                .deleteShard(DeleteShardRequest.newBuilder()
                        .setShardId("g1")
                        .setOnlyIfWrittenBeforeUnixMs(writtenAt + 1)
                        .build());
        assertTrue(gone.getExisted() && !gone.getKept());
        assertFalse(client.delete("g1"));
    }

    @Test
    void deleteIsIdempotent() {
        client.write("d1", randomBytes(1500, 4), CHUNK);
        assertTrue(client.delete("d1"));
        assertEquals(Status.Code.NOT_FOUND, code(() -> client.stat("d1")));
        assertFalse(client.delete("d1"));
        assertEquals(List.of(), client.list("", "", 0));
    }

    @Test
    void overwriteReplacesShard() {
        client.write("o1", randomBytes(5000, 5), CHUNK);
        byte[] second = randomBytes(1200, 6);
        client.write("o1", second, 512);
        assertArrayEquals(second, client.read("o1", 0, 0));
        assertEquals(512, client.stat("o1").getChunkSize());
        assertEquals(List.of("o1"), client.list("", "", 0));
    }

    @Test
    void shortChunkBeforeTheLastIsRejected() {
        byte[] data = randomBytes(2000, 7);
        var messages = List.of(
                ShardClient.header("short", CHUNK),
                ShardClient.chunk(data, 0, 500, ShardClient.crc(data, 0, 500)),
                ShardClient.chunk(data, 500, 1500, ShardClient.crc(data, 500, 1500)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.write(messages)));
        assertEquals(Status.Code.NOT_FOUND, code(() -> client.stat("short")));
    }

    @Test
    void oversizedChunkIsRejected() {
        byte[] data = randomBytes(1001, 8);
        var messages = List.of(
                ShardClient.header("big", CHUNK), ShardClient.chunk(data, 0, 1001, ShardClient.crc(data, 0, 1001)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.write(messages)));
    }

    @Test
    void chunkBeforeHeaderIsRejected() {
        byte[] data = randomBytes(10, 9);
        var messages = List.of(ShardClient.chunk(data, 0, 10, ShardClient.crc(data, 0, 10)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.write(messages)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "a/b", "", ".hidden", ".", "..", "a b", "x\u00e9"})
    void invalidIdsAreRejected(String id) {
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.write(id, new byte[10], CHUNK)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.read(id, 0, 0)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.stat(id)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.delete(id)));
    }

    @Test
    void longestValidIdWorks() {
        String id = "x".repeat(160);
        client.write(id, new byte[10], CHUNK);
        assertEquals(10, client.stat(id).getLength());
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.stat(id + "x")));
    }

    static byte[] slice(byte[] data, int from, int to) {
        return Arrays.copyOfRange(data, from, to);
    }
}
