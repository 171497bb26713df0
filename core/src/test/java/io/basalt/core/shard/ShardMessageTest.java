package io.basalt.core.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.basalt.proto.shard.ReadShardResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written ReadShardResponse parser reads what the generated serializer writes, byte for byte. */
class ShardMessageTest {

    private final ShardMessage.Marshaller marshaller = new ShardMessage.Marshaller();

    @Test
    void parsesWhatProtobufWrites() {
        Random random = new Random(1);
        long[] offsets = {0, 1, 127, 128, 300_000, 1L << 40, Long.MAX_VALUE};
        int[] sizes = {0, 1, 127, 128, 16_383, 16_384, 262_144, 262_145};
        for (long offset : offsets) {
            for (int size : sizes) {
                byte[] data = new byte[size];
                random.nextBytes(data);
                byte[] wire = ReadShardResponse.newBuilder()
                        .setOffset(offset)
                        .setData(ByteString.copyFrom(data))
                        .build()
                        .toByteArray();
                ShardMessage m = marshaller.parse(new ByteArrayInputStream(wire));
                assertEquals(offset, m.offset(), "offset of " + offset + "/" + size);
                assertEquals(size, m.length());
                assertArrayEquals(data, takeAll(m), "data of " + offset + "/" + size);
            }
        }
    }

    @Test
    void skipsFieldsItDoesNotKnow() throws IOException {
        byte[] data = {1, 2, 3, 4, 5};
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(wire);
        out.writeUInt64(9, 42); // varint
        out.writeFixed64(10, 7); // 64-bit
        out.writeBytes(11, ByteString.copyFromUtf8("later field"));
        out.writeUInt64(ReadShardResponse.OFFSET_FIELD_NUMBER, 1000);
        out.writeFixed32(12, 9); // 32-bit
        out.writeBytes(ReadShardResponse.DATA_FIELD_NUMBER, ByteString.copyFrom(data));
        out.writeUInt32(2000, 1); // a multi-byte tag
        out.flush();
        ShardMessage m = marshaller.parse(new ByteArrayInputStream(wire.toByteArray()));
        assertEquals(1000, m.offset());
        assertArrayEquals(data, takeAll(m));
    }

    @Test
    void aTruncatedMessageIsAnErrorNotShortData() {
        byte[] wire = ReadShardResponse.newBuilder()
                .setOffset(5)
                .setData(ByteString.copyFrom(new byte[1000]))
                .build()
                .toByteArray();
        for (int cut : new int[] {1, 3, wire.length - 1}) {
            byte[] shorter = Arrays.copyOf(wire, cut);
            assertThrows(
                    UncheckedIOException.class,
                    () -> marshaller.parse(new ByteArrayInputStream(shorter)),
                    "cut at " + cut);
        }
    }

    @Test
    void takesInPiecesOfAnySize() {
        byte[] data = new byte[1000];
        new Random(2).nextBytes(data);
        for (int piece : new int[] {1, 7, 999, 1000, 5000}) {
            ShardMessage m = new ShardMessage(0, data);
            List<ByteBuffer> views = new ArrayList<>();
            while (m.remaining() > 0) m.take(piece, views);
            assertEquals(0, m.take(piece, views), "nothing left to take");
            assertArrayEquals(data, concat(views), "pieces of " + piece);
        }
    }

    private static byte[] takeAll(ShardMessage m) {
        List<ByteBuffer> views = new ArrayList<>();
        m.take(Integer.MAX_VALUE, views);
        assertEquals(0, m.remaining());
        return concat(views);
    }

    static byte[] concat(List<ByteBuffer> views) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer v : views) {
            byte[] b = new byte[v.remaining()];
            v.duplicate().get(b);
            out.writeBytes(b);
        }
        return out.toByteArray();
    }
}
