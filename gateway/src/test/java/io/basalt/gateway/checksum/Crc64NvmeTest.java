package io.basalt.gateway.checksum;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class Crc64NvmeTest {

    @Test
    void standardCheckValue() {
        Crc64Nvme c = new Crc64Nvme();
        byte[] b = "123456789".getBytes(StandardCharsets.US_ASCII);
        c.update(b, 0, b.length);
        assertEquals(0xAE8B14860A799888L, c.getValue());
    }

    /** The sliced loop must agree with the byte-at-a-time definition, however the input is split. */
    @Property(tries = 200)
    void slicedEqualsBytewise(@ForAll byte[] data, @ForAll int split) {
        Crc64Nvme sliced = new Crc64Nvme();
        int cut = data.length == 0 ? 0 : Math.floorMod(split, data.length + 1);
        sliced.update(data, 0, cut);
        sliced.update(data, cut, data.length - cut);
        Crc64Nvme bytewise = new Crc64Nvme();
        for (byte x : data) bytewise.update(x);
        assertEquals(bytewise.getValue(), sliced.getValue());
    }
}
