package io.basalt.core.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerCertificateTest {

    @TempDir
    Path dir;

    @Test
    void aRenewedCertificateIsServedWithoutARestartAndABrokenOneIsNot() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("ca", Duration.ofDays(1));
        ca.issue(dir, "s3", List.of("127.0.0.1"), Duration.ofDays(1));
        Path cert = dir.resolve(ClusterTls.CERT_FILE);
        Path key = dir.resolve(ClusterTls.KEY_FILE);
        try (ServerCertificate served = ServerCertificate.open(cert, key)) {
            BigInteger first = servedSerial(served, ca);
            assertEquals(serialOf(cert), first);

            ca.issue(dir, "s3", List.of("127.0.0.1"), Duration.ofDays(1)); // renewed in place
            served.reloadIfChanged();
            BigInteger second = servedSerial(served, ca);
            assertNotEquals(first, second);
            assertEquals(serialOf(cert), second);

            Files.writeString(key, "-----BEGIN PRIVATE KEY-----\ntrunc"); // a half-written renewal
            served.reloadIfChanged();
            assertEquals(second, servedSerial(served, ca), "the previous pair stays in service");
        }
    }

    @Test
    void missingFilesAreNamed() {
        IOException e = assertThrows(
                IOException.class, () -> ServerCertificate.open(dir.resolve("no.crt"), dir.resolve("no.key")));
        assertTrue(e.getMessage().contains("no.crt"), e.getMessage());
    }

    /** The serial of the certificate a TLS client is shown by a server on {@code served}'s context. */
    private static BigInteger servedSerial(ServerCertificate served, CertificateAuthority ca) throws Exception {
        try (SSLServerSocket server = (SSLServerSocket) served.sslContext()
                .getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.startHandshake();
                    s.getInputStream().read(); // until the client closes
                } catch (IOException e) {
                    // the client's close ends the read
                }
            });
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca.certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            SSLContext client = SSLContext.getInstance("TLS");
            client.init(null, tmf.getTrustManagers(), null);
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", server.getLocalPort())) {
                s.startHandshake();
                BigInteger serial = ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
                s.close();
                accepted.join();
                return serial;
            }
        }
    }

    private static BigInteger serialOf(Path cert) throws IOException {
        return Pem.readCertificates(cert).getFirst().getSerialNumber();
    }
}
