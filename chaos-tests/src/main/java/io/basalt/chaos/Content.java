package io.basalt.chaos;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Object bodies are a pure function of (seed, size): the checker regenerates any value a client wrote. */
public final class Content {
    private Content() {
    }

    public static byte[] bytes(long seed, int size) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(seed);
        int i = 0;
        while (i + 8 <= size) {
            long v = r.nextLong();
            for (int j = 0; j < 8; j++) b[i++] = (byte) (v >>> (8 * j));
        }
        long v = r.nextLong();
        while (i < size) {
            b[i++] = (byte) v;
            v >>>= 8;
        }
        return b;
    }

    public static String sha256(byte[] b, int off, int len) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(b, off, len);
            return HexFormat.of().formatHex(md.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String md5Hex(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String unquote(String etag) {
        if (etag == null) return null;
        return etag.startsWith("\"") && etag.endsWith("\"") && etag.length() >= 2 ? etag.substring(1, etag.length() - 1) : etag;
    }
}
