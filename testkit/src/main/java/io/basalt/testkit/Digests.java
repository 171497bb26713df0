package io.basalt.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Hex digests as S3 shows them (an ETag is the hex MD5, x-amz-content-sha256 the hex SHA-256), for what tests,
 * the chaos checker and the raw-request signer compute on their side. The gateway keeps its own in
 * {@code gateway.auth.Hashing}: production code never depends on a test kit.
 */
public final class Digests {

    /** SHA-256 of no bytes: the payload hash of a request without a body. */
    public static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private Digests() {}

    public static String md5Hex(byte[] b) {
        return hex(digest("MD5").digest(b));
    }

    public static String sha256Hex(byte[] b) {
        return hex(digest("SHA-256").digest(b));
    }

    /** Reads {@code in} to its end. */
    public static String sha256Hex(InputStream in) throws IOException {
        MessageDigest d = digest("SHA-256");
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
        return hex(d.digest());
    }

    public static String sha256Hex(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256Hex(in);
        }
    }

    /** The S3 multipart ETag: hex MD5 of the concatenated binary part MD5s, a dash, the part count. */
    public static String multipartEtag(byte[] data, int partSize) {
        MessageDigest all = digest("MD5");
        int parts = 0;
        for (int off = 0; off < data.length; off += partSize) {
            MessageDigest p = digest("MD5");
            p.update(data, off, Math.min(partSize, data.length - off));
            all.update(p.digest());
            parts++;
        }
        return hex(all.digest()) + "-" + parts;
    }

    public static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** A fresh digest of an algorithm every JDK has, without the checked exception. */
    public static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
