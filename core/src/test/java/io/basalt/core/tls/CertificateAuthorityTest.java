package io.basalt.core.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

    @TempDir
    Path dir;

    @Test
    void issuesAServerAndClientCertificateForEachHostSignedByTheCa() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("cluster-ca", Duration.ofDays(10));
        ca.save(dir.resolve("ca"));
        CertificateAuthority loaded = CertificateAuthority.load(dir.resolve("ca"));
        loaded.issue(dir.resolve("node"), "node-1", List.of("10.0.0.7", "node-1.basalt", "::1"), Duration.ofDays(3));

        X509Certificate cert = Pem.readCertificates(dir.resolve("node").resolve(ClusterTls.CERT_FILE))
                .getFirst();
        cert.verify(ca.certificate().getPublicKey());
        cert.checkValidity();
        assertEquals(-1, cert.getBasicConstraints(), "not a CA");
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), cert.getExtendedKeyUsage());
        // SAN types: 7 = IP address, 2 = DNS name
        Set<String> names = cert.getSubjectAlternativeNames().stream()
                .map(n -> n.get(0) + ":" + n.get(1))
                .collect(Collectors.toSet());
        assertEquals(Set.of("7:10.0.0.7", "2:node-1.basalt", "7:0:0:0:0:0:0:0:1"), names);
        assertTrue(cert.getSubjectX500Principal().getName().contains("CN=node-1"));

        X509Certificate other =
                CertificateAuthority.create("other", Duration.ofDays(1)).certificate();
        assertThrows(SignatureException.class, () -> cert.verify(other.getPublicKey()));
        assertEquals(
                ca.certificate(),
                Pem.readCertificates(dir.resolve("node").resolve(ClusterTls.CA_FILE))
                        .getFirst());
    }

    @Test
    void theCaIsACaAndItsKeysAreReadableByTheOwnerOnly() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("cluster-ca", Duration.ofDays(10));
        assertTrue(ca.certificate().getBasicConstraints() >= 0);
        ca.save(dir);
        ca.issue(dir.resolve("n"), "n", List.of("localhost"), Duration.ofDays(1));
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dir.resolve(CertificateAuthority.KEY_FILE))));
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dir.resolve("n").resolve(ClusterTls.KEY_FILE))));
        assertFalse(Files.exists(dir.resolve("n").resolve(ClusterTls.KEY_FILE + ".tmp")));
    }

    @Test
    void addressesAreToldFromHostNames() {
        assertTrue(CertificateAuthority.isIpLiteral("127.0.0.1"));
        assertTrue(CertificateAuthority.isIpLiteral("fd00::5"));
        assertFalse(CertificateAuthority.isIpLiteral("basalt-0.basalt.default.svc"));
        assertFalse(CertificateAuthority.isIpLiteral("localhost"));
    }
}
