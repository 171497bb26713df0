package io.basalt.storage;

import static io.basalt.storage.ShardFailureTest.dataByte;
import static io.basalt.storage.ShardFailureTest.flipByte;
import static io.basalt.storage.ShardServiceTest.randomBytes;
import static io.basalt.storage.ShardServiceTest.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.shard.DataFrames;
import io.basalt.core.shard.RemoteShardReader;
import io.basalt.core.shard.RemoteShardWriter;
import io.basalt.core.shard.ShardClients;
import io.basalt.core.shard.ShardReadException;
import io.basalt.core.shard.ShardWriteException;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.shard.ShardInfo;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shard reads and writes over the node's data port, through the reader and writer gateways and coordinators
 * use: every range as stored, a slow reader held to its window, the node's errors as the same statuses as over
 * gRPC, a reader closed early, shards written whole or abandoned without a trace, and connections reused
 * between streams. Whole chunks leave from the read windows they were read into, and every window is back in its
 * pool after each test.
 */
class ShardDataPortTest {
    private static final int CHUNK = 1000;

    @TempDir
    Path dataDir;

    StorageNode node;
    ShardClient client;
    ShardClients clients;
    NodeRecord record;

    @BeforeEach
    void start() throws Exception {
        node = StorageNode.start(StorageNodeConfig.local("n1", List.of(dataDir)));
        client = new ShardClient(node.port());
        clients = new ShardClients();
        assertFalse(node.dataAddress().isEmpty(), "a node runs a data port by default");
        record = NodeRecord.newBuilder()
                .setNodeId("n1")
                .setAddress(node.address())
                .setDataAddress(node.dataAddress())
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        clients.close();
        client.close();
        node.close();
        // every stream, ended, failed or cancelled, gave back the read windows its chunks were sent from
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ReadWindows.inUse() != 0 && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(10);
        assertEquals(0, ReadWindows.inUse(), "read windows still out");
    }

    private byte[] read(String id, long offset, long length, int window) throws Exception {
        try (RemoteShardReader in = RemoteShardReader.open(clients, record, id, offset, length, 10_000, window)) {
            byte[] got = new byte[(int) length];
            int split = got.length / 3; // takes that do not follow message edges
            byte[] head = new byte[split];
            in.readFully(head, split);
            System.arraycopy(head, 0, got, 0, split);
            byte[] rest = new byte[got.length - split];
            in.readFully(rest, rest.length);
            System.arraycopy(rest, 0, got, split, rest.length);
            return got;
        }
    }

    @Test
    void everyRangeComesAsStoredOverFewConnections() throws Exception {
        byte[] data = randomBytes(3500, 21);
        client.write("d", data, CHUNK);
        for (int window : new int[] {1, 2, 16}) {
            for (long[] r : new long[][] {{0, 3500}, {500, 2500}, {999, 2}, {2600, 900}, {1000, 1000}, {3499, 1}}) {
                assertArrayEquals(
                        slice(data, (int) r[0], (int) (r[0] + r[1])),
                        read("d", r[0], r[1], window),
                        r[0] + "+" + r[1] + " window " + window);
            }
        }
        // eighteen reads, one after another, each ended by the node: one connection, reused
        assertEquals(1, node.dataServer().connectionsAccepted());
    }

    @Test
    void aSlowReaderGetsALargeShardWhole() throws Exception {
        int chunk = 256 << 10;
        byte[] data = randomBytes(24 * chunk + 777, 22);
        client.write("big", data, chunk);
        try (RemoteShardReader in = RemoteShardReader.open(clients, record, "big", 0, data.length, 10_000, 2)) {
            byte[] got = new byte[data.length];
            for (int at = 0; at < data.length; ) {
                int n = Math.min(100_000, data.length - at);
                byte[] part = new byte[n];
                in.readFully(part, n);
                System.arraycopy(part, 0, got, at, n);
                at += n;
                if (at < 600_000) TimeUnit.MILLISECONDS.sleep(20); // the node must wait, not the reader's memory
            }
            assertArrayEquals(data, got);
        }
    }

    @Test
    void chunksAreSentFromTheWindowsTheyWereReadIntoOrCopiedWhenNoneIsFree() throws Exception {
        int chunk = 256 << 10;
        byte[] data = randomBytes(9 * chunk + 4321, 26);
        client.write("lent", data, chunk);
        long before = ReadWindows.lentSoFar();
        assertArrayEquals(data, read("lent", 0, data.length, 2));
        assertArrayEquals(slice(data, chunk, 5 * chunk + 10), read("lent", chunk, 4 * chunk + 10, 2), "a ranged read");
        // a ranged GET's share of a shard: the tail of one chunk and the head of the next, in one message
        assertArrayEquals(slice(data, chunk / 2 + 3, chunk / 2 + 3 + chunk), read("lent", chunk / 2 + 3, chunk, 2));
        assertArrayEquals(slice(data, 9 * chunk - 5, data.length), read("lent", 9 * chunk - 5, 4326, 2), "the end");
        if (DataFrames.DIRECT_FRAMES && node.store().dirs().getFirst().directIo()) {
            assertEquals(
                    3 + 2 + 1 + 1,
                    ReadWindows.lentSoFar() - before,
                    "ten chunks in three windows; chunks 1-4 in one and the 10 bytes of 5 in one; 0-1; 8-9");
        }
        List<java.nio.ByteBuffer> taken = new java.util.ArrayList<>();
        try {
            for (java.nio.ByteBuffer w; (w = ReadWindows.tryTake()) != null; ) taken.add(w);
            assertArrayEquals(data, read("lent", 0, data.length, 2), "no window free: chunk by chunk, copied");
            assertArrayEquals(
                    slice(data, chunk / 2 + 3, chunk / 2 + 3 + chunk),
                    read("lent", chunk / 2 + 3, chunk, 2),
                    "no window free: an unaligned range, copied");
        } finally {
            taken.forEach(ReadWindows::give);
        }
    }

    @Test
    void aStreamWhoseLastFrameFillsTheConnectionStillEnds() throws Exception {
        int chunk = 256 << 10;
        for (int chunks = 5; chunks <= 12; chunks++) {
            byte[] data = randomBytes(chunks * chunk, 70 + chunks);
            client.write("full" + chunks, data, chunk);
            try (RemoteShardReader in =
                    RemoteShardReader.open(clients, record, "full" + chunks, 0, data.length, 10_000, 2)) {
                TimeUnit.MILLISECONDS.sleep(100); // the node fills the connection and waits for it
                byte[] got = new byte[data.length];
                for (int at = 0; at < data.length; at += chunk / 2) {
                    byte[] part = new byte[chunk / 2];
                    in.readFully(part, part.length);
                    System.arraycopy(part, 0, got, at, part.length);
                    TimeUnit.MILLISECONDS.sleep(2);
                }
                assertArrayEquals(data, got);
            }
        }
        // a stream that missed its end would hold its shard file and its read window until the node stops
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ReadWindows.inUse() != 0 && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(10);
        assertEquals(0, ReadWindows.inUse(), "read windows held by streams that never ended");
    }

    @Test
    void theNodesErrorsComeAsOverGrpc() throws Exception {
        ShardReadException missing = assertThrows(ShardReadException.class, () -> read("nope", 0, 10, 2));
        assertTrue(missing.lost(), missing.toString());
        assertEquals(
                Status.Code.NOT_FOUND, Status.fromThrowable(missing.getCause()).getCode());

        byte[] data = randomBytes(3500, 23);
        client.write("rot", data, CHUNK);
        flipByte(dataDir.resolve("shards").resolve(ShardId.fanOut("rot")).resolve("rot"), dataByte(2, 5, CHUNK));
        ShardReadException rot = assertThrows(ShardReadException.class, () -> read("rot", 0, 3500, 2));
        assertTrue(rot.corrupt(), rot.toString());
        assertArrayEquals(slice(data, 0, 2000), read("rot", 0, 2000, 2), "the chunks before it still read");

        ShardReadException beyond = assertThrows(ShardReadException.class, () -> read("rot", 3600, 1, 2));
        assertEquals(
                Status.Code.OUT_OF_RANGE,
                Status.fromThrowable(beyond.getCause()).getCode());
        ShardReadException bad = assertThrows(ShardReadException.class, () -> read("../x", 0, 1, 2));
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                Status.fromThrowable(bad.getCause()).getCode());
        assertEquals(1, node.dataServer().connectionsAccepted(), "an error ends the stream, not the connection");
    }

    @Test
    void aReaderClosedEarlyLetsTheNextReadThrough() throws Exception {
        int chunk = 64 << 10;
        byte[] data = randomBytes(40 * chunk, 24);
        client.write("part", data, chunk);
        for (int i = 0; i < 3; i++) {
            try (RemoteShardReader in = RemoteShardReader.open(clients, record, "part", 0, data.length, 10_000, 2)) {
                byte[] head = new byte[1000];
                in.readFully(head, head.length);
                assertArrayEquals(slice(data, 0, 1000), head);
            } // closed with most of the range unsent: the connection is dropped
            assertArrayEquals(slice(data, 5000, 9000), read("part", 5000, 4000, 2));
        }
        assertEquals(4, node.dataServer().connectionsAccepted(), "one per early close, and the last reused");
    }

    @Test
    void aNodeWithoutADataPortIsReadOverGrpc() throws Exception {
        node.close();
        node = StorageNode.start(StorageNodeConfig.local("n1", List.of(dataDir)).withDataPort(-1));
        assertEquals("", node.dataAddress());
        record = NodeRecord.newBuilder()
                .setNodeId("n1")
                .setAddress(node.address())
                .build();
        client.close();
        client = new ShardClient(node.port());
        byte[] data = randomBytes(3500, 25);
        client.write("g", data, CHUNK);
        assertArrayEquals(slice(data, 700, 3100), read("g", 700, 2400, 2));
    }

    private ShardInfo writeOverDataPort(String id, byte[] data, int chunk) throws IOException {
        RemoteShardWriter w = RemoteShardWriter.open(clients, record, id, chunk, 10_000);
        for (int at = 0; at < data.length; at += chunk) {
            int n = Math.min(chunk, data.length - at);
            w.write(java.util.Arrays.copyOfRange(data, at, at + n), n); // a fresh array each: sent without a copy
        }
        return w.finish(10_000);
    }

    @Test
    void shardsWrittenOverTheDataPortAreDurableAndWhole() throws Exception {
        for (int i = 0; i < 3; i++) {
            byte[] data = randomBytes(20 * 1000 + 333 * i, 30 + i);
            ShardInfo info = writeOverDataPort("w" + i, data, CHUNK);
            assertEquals(data.length, info.getLength());
            assertEquals(ShardClient.crc(data, 0, data.length), info.getCrc32C());
            assertArrayEquals(data, client.read("w" + i, 0, 0), "read back over gRPC");
            assertArrayEquals(data, read("w" + i, 0, data.length, 4), "and over the data port");
        }
        byte[] small = randomBytes(700, 33); // one chunk: packed, group-committed
        assertEquals(700, writeOverDataPort("small", small, CHUNK).getLength());
        assertArrayEquals(small, client.read("small", 0, 0));
        byte[] empty = new byte[0];
        assertEquals(0, writeOverDataPort("empty", empty, CHUNK).getLength());
        assertEquals(1, node.dataServer().connectionsAccepted(), "ten streams, one after another: one connection");
    }

    @Test
    void manyWritersAtOnceEachGetTheirShard() throws Exception {
        int chunk = 256 << 10;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<byte[]>> done = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                done.add(pool.submit(() -> {
                    byte[] data = randomBytes(6 * chunk + 1000 * n, 40 + n);
                    writeOverDataPort("par" + n, data, chunk);
                    return data;
                }));
            }
            for (int i = 0; i < 8; i++) assertArrayEquals(done.get(i).get(), client.read("par" + i, 0, 0), "par" + i);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anAbandonedWriteLeavesNothingAndTheNextOneWorks() throws Exception {
        RemoteShardWriter w = RemoteShardWriter.open(clients, record, "gone", CHUNK, 10_000);
        w.write(randomBytes(CHUNK, 50), CHUNK);
        w.write(randomBytes(CHUNK, 51), CHUNK);
        w.abort("the client went away");
        byte[] data = randomBytes(5 * CHUNK, 52);
        writeOverDataPort("kept", data, CHUNK);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ShardInventory.of(dataDir).size() != 1 && System.nanoTime() < deadline) TimeUnit.MILLISECONDS.sleep(20);
        assertEquals(
                List.of("kept"),
                ShardInventory.of(dataDir).stream()
                        .map(ShardInventory.StoredShard::id)
                        .toList());
        assertArrayEquals(data, client.read("kept", 0, 0));
    }

    @Test
    void aRefusedWriteFailsWithTheNodesStatus() throws Exception {
        RemoteShardWriter w = RemoteShardWriter.open(clients, record, "../escape", CHUNK, 10_000);
        ShardWriteException e = assertThrows(ShardWriteException.class, () -> {
            w.write(randomBytes(CHUNK, 60), CHUNK);
            w.finish(10_000);
        });
        assertEquals(
                Status.Code.INVALID_ARGUMENT, Status.fromThrowable(e.getCause()).getCode(), e.toString());
        assertEquals(List.of(), ShardInventory.of(dataDir));
        byte[] data = randomBytes(3 * CHUNK, 61);
        assertEquals(data.length, writeOverDataPort("after", data, CHUNK).getLength());
    }
}
