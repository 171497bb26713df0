package io.basalt.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Reproducible test bytes and digests. */
final class TestData {

    private TestData() {
    }

    static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(seed);
        int i = 0;
        for (; i + 8 <= size; i += 8) {
            long v = r.nextLong();
            for (int j = 0; j < 8; j++) b[i + j] = (byte) (v >>> (8 * j));
        }
        for (; i < size; i++) b[i] = (byte) r.nextInt();
        return b;
    }

    static String md5Hex(byte[] b) {
        return HexFormat.of().formatHex(digest("MD5").digest(b));
    }

    static String sha256Hex(InputStream in) throws IOException {
        MessageDigest d = digest("SHA-256");
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
        return HexFormat.of().formatHex(d.digest());
    }

    static String sha256Hex(byte[] b) {
        return HexFormat.of().formatHex(digest("SHA-256").digest(b));
    }

    static MessageDigest digest(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
