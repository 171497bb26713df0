package io.basalt.storage;

import static io.basalt.storage.ShardServiceTest.randomBytes;
import static io.basalt.storage.ShardServiceTest.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ReadShardResponse;
import io.basalt.proto.shard.WriteShardResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the node does when bytes go bad on disk or a writer misbehaves. */
class ShardFailureTest {
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

    @Test
    void flippedByteFailsOnlyReadsTouchingThatChunk() throws IOException {
        byte[] data = randomBytes(3500, 11);
        client.write("rot", data, CHUNK);
        long posInChunk1 = dataByte(1, 123, CHUNK);
        flipByte(shardFile("rot"), posInChunk1);

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.read("rot", 1500, 100));
        assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode());
        assertEquals("corrupt shard rot chunk 1", e.getStatus().getDescription());
        assertEquals(Status.Code.DATA_LOSS, ShardServiceTest.code(() -> client.read("rot", 0, 0)));

        assertArrayEquals(slice(data, 0, 1000), client.read("rot", 0, 1000));
        assertArrayEquals(slice(data, 2000, 3500), client.read("rot", 2000, 0));
    }

    @Test
    void corruptChunkBytesAreNeverSent() throws IOException {
        byte[] data = randomBytes(3500, 12);
        client.write("rot2", data, CHUNK);
        flipByte(shardFile("rot2"), dataByte(2, 0, CHUNK));

        Iterator<ReadShardResponse> it = client.blocking()
                .readShard(ReadShardRequest.newBuilder().setShardId("rot2").build());
        List<ReadShardResponse> received = new ArrayList<>();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> it.forEachRemaining(received::add));
        assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode());
        assertEquals("corrupt shard rot2 chunk 2", e.getStatus().getDescription());
        for (ReadShardResponse r : received) {
            assertTrue(r.getOffset() + r.getData().size() <= 2000, "sent bytes of chunk 2 at " + r.getOffset());
        }
    }

    @Test
    void messageSpanningACorruptChunkIsNotSent() throws IOException {
        byte[] data = randomBytes(3500, 14);
        client.write("rot3", data, CHUNK);
        flipByte(shardFile("rot3"), dataByte(2, 10, CHUNK));

        // [1500, 2500) would be one message: the good half of it in chunk 1 must not leave either
        Iterator<ReadShardResponse> it = client.blocking()
                .readShard(ReadShardRequest.newBuilder()
                        .setShardId("rot3")
                        .setOffset(1500)
                        .setLength(1000)
                        .build());
        List<ReadShardResponse> received = new ArrayList<>();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> it.forEachRemaining(received::add));
        assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode());
        assertEquals("corrupt shard rot3 chunk 2", e.getStatus().getDescription());
        assertEquals(List.of(), received);
        assertArrayEquals(slice(data, 1500, 2000), client.read("rot3", 1500, 500));
    }

    @Test
    void truncatedShardIsDataLoss() throws IOException {
        client.write("torn", randomBytes(2500, 13), CHUNK);
        try (RandomAccessFile f = new RandomAccessFile(shardFile("torn").toFile(), "rw")) {
            f.setLength(f.length() - 10);
        }
        assertEquals(Status.Code.DATA_LOSS, ShardServiceTest.code(() -> client.stat("torn")));
        assertEquals(Status.Code.DATA_LOSS, ShardServiceTest.code(() -> client.read("torn", 0, 10)));
    }

    @Test
    void badChunkChecksumOnWriteLeavesNothing() throws IOException {
        byte[] data = randomBytes(2500, 14);
        var messages = List.of(
                ShardClient.header("badcrc", CHUNK),
                ShardClient.chunk(data, 0, 1000, ShardClient.crc(data, 0, 1000)),
                ShardClient.chunk(data, 1000, 2000, ShardClient.crc(data, 1000, 2000) ^ 1),
                ShardClient.chunk(data, 2000, 2500, ShardClient.crc(data, 2000, 2500)));

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.write(messages));
        assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode());
        assertEquals("checksum mismatch in chunk 1", e.getStatus().getDescription());
        assertEquals(Status.Code.NOT_FOUND, ShardServiceTest.code(() -> client.stat("badcrc")));
        assertEquals(List.of(), tempFiles());
    }

    @Test
    void badChecksumDoesNotDamageTheShardItWouldReplace() {
        byte[] original = randomBytes(1500, 15);
        client.write("keep", original, CHUNK);
        byte[] data = randomBytes(500, 16);
        var messages = List.of(ShardClient.header("keep", CHUNK), ShardClient.chunk(data, 0, 500, 0xdead));
        assertEquals(Status.Code.DATA_LOSS, ShardServiceTest.code(() -> client.write(messages)));
        assertArrayEquals(original, client.read("keep", 0, 0));
    }

    @Test
    void clientCancelMidWriteRemovesTempFile() throws Exception {
        byte[] data = randomBytes(2000, 17);
        CompletableFuture<WriteShardResponse> result = new CompletableFuture<>();
        var requests = client.async.writeShard(ShardClient.observer(result));
        requests.onNext(ShardClient.header("cancelled", CHUNK));
        requests.onNext(ShardClient.chunk(data, 0, 1000, ShardClient.crc(data, 0, 1000)));
        // the second chunk makes it a shard file (one chunk would be held in memory for packing)
        requests.onNext(ShardClient.chunk(data, 1000, 2000, ShardClient.crc(data, 1000, 2000)));
        awaitTrue(() -> !tempFiles().isEmpty(), "the node never started the write");

        requests.onError(new RuntimeException("client gives up"));

        awaitTrue(() -> tempFiles().isEmpty(), "temp file left after cancel: " + tempFiles());
        assertEquals(Status.Code.NOT_FOUND, ShardServiceTest.code(() -> client.stat("cancelled")));
        assertEquals(List.of(), client.list("", "", 0));
    }

    @Test
    void staleTempFilesAreRemovedOnStart() throws Exception {
        Path stale = dataDir.resolve("tmp").resolve("crashed.1234.tmp");
        Files.write(stale, new byte[100]);
        node.close();
        node = StorageNode.start(StorageNodeConfig.local("n1", List.of(dataDir)));
        assertEquals(List.of(), tempFiles());
        client.close();
        client = new ShardClient(node.port());
    }

    private Path shardFile(String id) {
        return dataDir.resolve("shards").resolve(ShardId.fanOut(id)).resolve(id);
    }

    private List<Path> tempFiles() {
        try (Stream<Path> files = Files.list(dataDir.resolve("tmp"))) {
            return files.toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** File position of byte {@code offset} of chunk {@code chunk} in a shard file the node wrote (format 2). */
    static long dataByte(long chunk, long offset, int chunkSize) {
        return ShardFileLayout.BLOCK + chunk * chunkSize + offset;
    }

    static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(position);
            int b = f.read();
            f.seek(position);
            f.write(b ^ 0x40);
        }
    }

    /** Waits for an asynchronous outcome; the deadline only bounds a hang, it is not what is tested. */
    static void awaitTrue(BooleanSupplier condition, String message) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(message);
            }
            Thread.sleep(20);
        }
    }
}
