package io.basalt.core.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Views of a run of shard bytes that arrived in several messages, cut at every possible place. */
class ShardBytesTest {

    @Test
    void everySliceIsExactlyThoseBytes() {
        byte[] all = new byte[40];
        for (int i = 0; i < all.length; i++) all[i] = (byte) (i * 7 + 3);
        // parts of uneven sizes, views into larger arrays, as messages taken part-way arrive
        ShardBytes bytes = new ShardBytes(
                new ByteBuffer[] {
                    ByteBuffer.wrap(all, 0, 1).slice(),
                            ByteBuffer.wrap(all, 1, 12).slice(),
                    ByteBuffer.wrap(all, 13, 2).slice(),
                            ByteBuffer.wrap(all, 15, 25).slice()
                },
                all.length);
        for (int from = 0; from <= all.length; from++) {
            for (int len = 0; from + len <= all.length; len++) {
                List<ByteBuffer> views = new ArrayList<>();
                bytes.slice(from, len, views);
                assertArrayEquals(
                        Arrays.copyOfRange(all, from, from + len), ShardMessageTest.concat(views), from + "+" + len);
            }
        }
        byte[] copy = new byte[all.length + 5];
        bytes.copyTo(copy, 5);
        assertArrayEquals(all, Arrays.copyOfRange(copy, 5, copy.length));
        assertThrows(IndexOutOfBoundsException.class, () -> bytes.slice(39, 2, new ArrayList<>()));
        assertThrows(IndexOutOfBoundsException.class, () -> bytes.slice(-1, 1, new ArrayList<>()));
    }

    @Test
    void ofAnArrayViewsItsPrefix() {
        byte[] array = {9, 8, 7, 6, 5};
        ShardBytes bytes = ShardBytes.of(array, 3);
        List<ByteBuffer> views = new ArrayList<>();
        bytes.slice(1, 2, views);
        assertArrayEquals(new byte[] {8, 7}, ShardMessageTest.concat(views));
        assertThrows(IndexOutOfBoundsException.class, () -> bytes.slice(2, 2, new ArrayList<>()));
    }

    @Test
    void anOutputStreamSinkGetsEveryByteOfHeapAndDirectBuffers() throws IOException {
        byte[] data = new byte[200_000];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31 + i / 256);
        ByteBuffer direct = ByteBuffer.allocateDirect(150_000).put(0, data, 50_000, 150_000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // a heap view, a read-only heap view (no accessible array), a direct one bigger than the copy buffer
        BufferSink.of(out).write(new ByteBuffer[] {
            ByteBuffer.wrap(data, 0, 20_000).slice(),
            ByteBuffer.wrap(data, 20_000, 30_000).asReadOnlyBuffer().slice(),
            direct
        });
        assertArrayEquals(data, out.toByteArray());
    }
}
