package io.basalt.core.secrets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cluster's key for secrets kept in etcd: access keys' secrets are sealed with it (AES-256-GCM)
 * so that a copy of etcd, a backup or a snapshot, does not hand out working S3 credentials. SigV4
 * needs each secret itself, so it cannot be hashed. The key is 32 random bytes, base64 in a file of
 * its own (a Kubernetes Secret mounts it so); only gateways and the operator's CLI read it.
 */
public final class ClusterKey {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int KEY_BYTES = 32, NONCE_BYTES = 12, TAG_BITS = 128;

    /** A secret sealed for one access key id. */
    public record Sealed(byte[] nonce, byte[] ciphertext) {}

    private final SecretKeySpec key;
    private final String id;

    private ClusterKey(byte[] bytes) {
        if (bytes.length != KEY_BYTES) {
            throw new IllegalArgumentException("a cluster key is " + KEY_BYTES + " bytes, got " + bytes.length);
        }
        this.key = new SecretKeySpec(bytes, "AES");
        this.id = fingerprint(bytes);
    }

    /** Reads the key from {@code file}: its base64 text, surrounding whitespace ignored. */
    public static ClusterKey load(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a base64 cluster key", e);
        }
        try {
            return new ClusterKey(bytes);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Makes a new random key and writes it to {@code file} (mode 0600); an existing file is kept and refused. */
    public static ClusterKey create(Path file) throws IOException {
        if (Files.exists(file)) throw new FileAlreadyExistsException(file.toString(), null, "a cluster key is there");
        byte[] bytes = new byte[KEY_BYTES];
        RANDOM.nextBytes(bytes);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(
                dir,
                ".cluster-key",
                ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, Base64.getEncoder().encodeToString(bytes) + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return new ClusterKey(bytes);
    }

    /** A key from its bytes (tests). */
    public static ClusterKey of(byte[] bytes) {
        return new ClusterKey(bytes.clone());
    }

    /** A fingerprint naming the key in records and messages without revealing it. */
    public String id() {
        return id;
    }

    public Sealed seal(String accessKeyId, String secret) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, accessKeyId, nonce);
            return new Sealed(nonce, c.doFinal(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK", e);
        }
    }

    /**
     * The secret sealed for {@code accessKeyId}.
     *
     * @throws GeneralSecurityException when it was sealed by another key, for another id, or altered
     */
    public String open(String accessKeyId, Sealed sealed) throws GeneralSecurityException {
        Cipher c = cipher(Cipher.DECRYPT_MODE, accessKeyId, sealed.nonce());
        return new String(c.doFinal(sealed.ciphertext()), StandardCharsets.UTF_8);
    }

    private Cipher cipher(int mode, String accessKeyId, byte[] nonce) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        // bound to the id: a sealed secret copied onto another key's record does not open there
        c.updateAAD(("basalt access key " + accessKeyId).getBytes(StandardCharsets.UTF_8));
        return c;
    }

    private static String fingerprint(byte[] key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("basalt cluster key id\0".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(Arrays.copyOf(sha.digest(key), 8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "ClusterKey[" + id + "]"; // never the key
    }
}
