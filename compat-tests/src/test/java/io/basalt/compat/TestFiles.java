package io.basalt.compat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Reproducible test bytes, files and digests. */
final class TestFiles {

    private TestFiles() {
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

    /** Writes {@code size} reproducible pseudo-random bytes to {@code file}, 1 MiB at a time. */
    static Path randomFile(Path file, long seed, long size) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; ) {
                for (int i = 0; i < block.length; i += 8) {
                    long v = r.nextLong();
                    for (int j = 0; j < 8; j++) block[i + j] = (byte) (v >>> (8 * j));
                }
                int n = (int) Math.min(block.length, left);
                out.write(block, 0, n);
                left -= n;
            }
        }
        return file;
    }

    static String md5Hex(byte[] b) {
        return HexFormat.of().formatHex(digest("MD5").digest(b));
    }

    static String sha256Hex(byte[] b) {
        return HexFormat.of().formatHex(digest("SHA-256").digest(b));
    }

    static String sha256Hex(Path file) throws IOException {
        MessageDigest d = digest("SHA-256");
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /** The S3 multipart ETag: hex MD5 of the concatenated binary part MD5s, a dash, the part count. */
    static String multipartEtag(byte[] data, int partSize) {
        MessageDigest all = digest("MD5");
        int parts = 0;
        for (int off = 0; off < data.length; off += partSize) {
            MessageDigest p = digest("MD5");
            p.update(data, off, Math.min(partSize, data.length - off));
            all.update(p.digest());
            parts++;
        }
        return HexFormat.of().formatHex(all.digest()) + "-" + parts;
    }

    static MessageDigest digest(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
