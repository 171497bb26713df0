package io.basalt.chaos;

import io.basalt.testkit.Digests;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Object bodies are a pure function of (seed, size): the checker regenerates any value a client wrote. */
public final class Content {
    private Content() {}

    // Not testkit's TestBytes.random: the bytes after the last whole 8 come from one more long here, and a
    // run repeated with --seed must write and check the same bodies as before.
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

    /** A short fingerprint of a range (the first 12 bytes of its SHA-256): what the history keeps of a read. */
    public static String sha256(byte[] b, int off, int len) {
        MessageDigest md = Digests.digest("SHA-256");
        md.update(b, off, len);
        return HexFormat.of().formatHex(md.digest(), 0, 12);
    }

    public static String unquote(String etag) {
        if (etag == null) return null;
        return etag.startsWith("\"") && etag.endsWith("\"") && etag.length() >= 2
                ? etag.substring(1, etag.length() - 1)
                : etag;
    }
}
