package io.basalt.core.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class Crc32cCombineTest {

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    @Test
    void combiningChunkCrcsGivesTheCrcOfTheWhole() {
        Random rnd = new Random(42);
        byte[] data = new byte[300_000];
        rnd.nextBytes(data);
        for (int chunk : new int[] {1, 7, 4096, 65_536, 100_000}) {
            int op = Crc32cCombine.operator(chunk);
            int whole = 0;
            for (int off = 0; off < data.length; off += chunk) {
                int len = Math.min(chunk, data.length - off);
                int part = crc(data, off, len);
                whole = len == chunk
                        ? Crc32cCombine.combine(whole, part, op)
                        : Crc32cCombine.combine(whole, part, (long) len);
            }
            assertEquals(crc(data, 0, data.length), whole, "chunk size " + chunk);
        }
    }

    @Test
    void emptyPartsChangeNothing() {
        byte[] data = {1, 2, 3};
        int c = crc(data, 0, 3);
        assertEquals(c, Crc32cCombine.combine(c, 0, 0L));
        assertEquals(c, Crc32cCombine.combine(0, c, 3L));
    }
}
