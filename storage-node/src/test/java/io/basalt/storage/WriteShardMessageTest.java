package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.basalt.proto.shard.Chunk;
import io.basalt.proto.shard.WriteShardRequest;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The hand-written parser against the generated serializer; the zero-copy path is covered over real gRPC. */
class WriteShardMessageTest {
    private final WriteShardMessage.Marshaller marshaller = new WriteShardMessage.Marshaller();

    private WriteShardMessage parse(WriteShardRequest r) {
        return marshaller.parse(new ByteArrayInputStream(r.toByteArray()));
    }

    @Test
    void parsesAHeader() {
        try (WriteShardMessage m = parse(ShardClient.header("abc.1", 4096))) {
            assertEquals("abc.1", m.header().getShardId());
            assertEquals(4096, m.header().getChunkSize());
            assertFalse(m.isChunk());
        }
    }

    @Test
    void parsesAChunkWithItsCrc() {
        byte[] data = new byte[70_000];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31);
        try (WriteShardMessage m = parse(ShardClient.chunk(data, 0, data.length, 0xCAFEBABE))) {
            assertNull(m.header());
            assertTrue(m.isChunk());
            assertEquals(0xCAFEBABE, m.crc32c());
            ByteBuffer all = ByteBuffer.allocate(data.length);
            for (ByteBuffer b : m.data()) all.put(b.duplicate());
            assertArrayEquals(data, all.array());
        }
    }

    @Test
    void anEmptyChunkIsAChunkWithoutData() {
        WriteShardRequest r = WriteShardRequest.newBuilder()
                .setChunk(Chunk.newBuilder().setData(ByteString.EMPTY))
                .build();
        try (WriteShardMessage m = parse(r)) {
            assertTrue(m.isChunk());
            assertEquals(0, m.data().length);
        }
        try (WriteShardMessage m = parse(WriteShardRequest.getDefaultInstance())) {
            assertFalse(m.isChunk());
            assertNull(m.header());
        }
    }

    @Test
    void aTruncatedMessageIsRefused() {
        byte[] wire = ShardClient.chunk(new byte[1000], 0, 1000, 1).toByteArray();
        byte[] cut = java.util.Arrays.copyOf(wire, wire.length - 10);
        assertThrows(RuntimeException.class, () -> marshaller.parse(new ByteArrayInputStream(cut)));
    }
}
