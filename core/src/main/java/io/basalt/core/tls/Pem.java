package io.basalt.core.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/** PEM files as cert-manager and openssl write them: X.509 certificates and unencrypted PKCS#8 keys. */
final class Pem {

    private static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String KEY_END = "-----END PRIVATE KEY-----";

    private Pem() {}

    static List<X509Certificate> readCertificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast)
                    .toList();
            if (certs.isEmpty()) throw new IOException(file + " holds no certificate");
            return certs;
        } catch (CertificateException e) {
            throw new IOException(file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    static PrivateKey readPrivateKey(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        int begin = text.indexOf(KEY_BEGIN);
        int end = text.indexOf(KEY_END);
        if (begin < 0 || end < begin) {
            throw new IOException(file + " holds no unencrypted PKCS#8 key (\"" + KEY_BEGIN + "\"); convert with"
                    + " `openssl pkcs8 -topk8 -nocrypt`");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + KEY_BEGIN.length(), end));
        for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        throw new IOException(file + " holds a key of an unsupported algorithm (EC, RSA and Ed25519 are)");
    }

    static void writeCertificates(Path file, List<X509Certificate> certs) throws IOException {
        StringBuilder out = new StringBuilder();
        for (X509Certificate cert : certs) {
            try {
                armor(out, "CERTIFICATE", cert.getEncoded());
            } catch (CertificateException e) {
                throw new IOException(e);
            }
        }
        replace(file, out.toString(), "rw-r--r--");
    }

    static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        StringBuilder out = new StringBuilder();
        armor(out, "PRIVATE KEY", key.getEncoded()); // the JDK encodes private keys as PKCS#8
        replace(file, out.toString(), "rw-------");
    }

    private static void armor(StringBuilder out, String type, byte[] der) {
        out.append("-----BEGIN ").append(type).append("-----\n");
        out.append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der));
        out.append("\n-----END ").append(type).append("-----\n");
    }

    /** Whole or not at all: a process reloading the file never reads half of it. */
    private static void replace(Path file, String text, String permissions) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
