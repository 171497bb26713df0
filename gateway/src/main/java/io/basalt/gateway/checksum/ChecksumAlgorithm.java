package io.basalt.gateway.checksum;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/** The checksums S3 accepts in x-amz-checksum-* headers and trailers; values are base64 of the big-endian digest. */
public enum ChecksumAlgorithm {
    CRC32,
    CRC32C,
    CRC64NVME,
    SHA1,
    SHA256;

    /** The header (and trailer) name, e.g. {@code x-amz-checksum-crc32c}. */
    public String header() {
        return "x-amz-checksum-" + name().toLowerCase(Locale.ROOT);
    }

    public static ChecksumAlgorithm fromHeader(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (ChecksumAlgorithm a : values()) if (a.header().equals(n)) return a;
        return null;
    }

    /** A fresh running digest. */
    public Digest newDigest() {
        return switch (this) {
            case CRC32 -> new ChecksumDigest(new CRC32(), 4);
            case CRC32C -> new ChecksumDigest(new CRC32C(), 4);
            case CRC64NVME -> new ChecksumDigest(new Crc64Nvme(), 8);
            case SHA1 -> new MessageDigestDigest("SHA-1");
            case SHA256 -> new MessageDigestDigest("SHA-256");
        };
    }

    public interface Digest {
        void update(byte[] b, int off, int len);

        byte[] finish();
    }

    private record ChecksumDigest(Checksum checksum, int bytes) implements Digest {
        @Override
        public void update(byte[] b, int off, int len) {
            checksum.update(b, off, len);
        }

        @Override
        public byte[] finish() {
            byte[] out = ByteBuffer.allocate(8).putLong(checksum.getValue()).array();
            return java.util.Arrays.copyOfRange(out, 8 - bytes, 8);
        }
    }

    private static final class MessageDigestDigest implements Digest {
        private final MessageDigest md;

        MessageDigestDigest(String alg) {
            try {
                md = MessageDigest.getInstance(alg);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void update(byte[] b, int off, int len) {
            md.update(b, off, len);
        }

        @Override
        public byte[] finish() {
            return md.digest();
        }
    }
}
