package io.basalt.gateway.checksum;

import java.util.zip.Checksum;

/**
 * CRC-64/NVME (the AWS SDKs' newest default checksum): reflected polynomial
 * 0x9A6C9329AC4BC9B5, initial value and final xor all ones. Slicing-by-8 for speed.
 */
public final class Crc64Nvme implements Checksum {

    private static final long POLY = 0x9A6C9329AC4BC9B5L;
    private static final long[][] TABLE = new long[8][256];

    static {
        for (int n = 0; n < 256; n++) {
            long crc = n;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLY : crc >>> 1;
            TABLE[0][n] = crc;
        }
        for (int n = 0; n < 256; n++) {
            long crc = TABLE[0][n];
            for (int t = 1; t < 8; t++) {
                crc = TABLE[0][(int) (crc & 0xff)] ^ (crc >>> 8);
                TABLE[t][n] = crc;
            }
        }
    }

    private long crc = -1L;

    @Override
    public void update(int b) {
        crc = TABLE[0][(int) ((crc ^ b) & 0xff)] ^ (crc >>> 8);
    }

    @Override
    public void update(byte[] b, int off, int len) {
        long c = crc;
        int i = off, end = off + len;
        for (; i + 8 <= end; i += 8) {
            long v = c
                    ^ ((b[i] & 0xffL)
                            | (b[i + 1] & 0xffL) << 8
                            | (b[i + 2] & 0xffL) << 16
                            | (b[i + 3] & 0xffL) << 24
                            | (b[i + 4] & 0xffL) << 32
                            | (b[i + 5] & 0xffL) << 40
                            | (b[i + 6] & 0xffL) << 48
                            | (b[i + 7] & 0xffL) << 56);
            c = TABLE[7][(int) (v & 0xff)]
                    ^ TABLE[6][(int) ((v >>> 8) & 0xff)]
                    ^ TABLE[5][(int) ((v >>> 16) & 0xff)]
                    ^ TABLE[4][(int) ((v >>> 24) & 0xff)]
                    ^ TABLE[3][(int) ((v >>> 32) & 0xff)]
                    ^ TABLE[2][(int) ((v >>> 40) & 0xff)]
                    ^ TABLE[1][(int) ((v >>> 48) & 0xff)]
                    ^ TABLE[0][(int) (v >>> 56)];
        }
        for (; i < end; i++) c = TABLE[0][(int) ((c ^ b[i]) & 0xff)] ^ (c >>> 8);
        crc = c;
    }

    @Override
    public long getValue() {
        return ~crc;
    }

    @Override
    public void reset() {
        crc = -1L;
    }
}
