package io.basalt.core.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster's certificate authority: signs the certificates storage nodes, gateways, coordinators and
 * etcd present to each other. Keys are ECDSA P-256 (fast handshakes, small certificates); a certificate
 * serves as both TLS server and client, since most processes are both. Production clusters may use any CA
 * instead (cert-manager, their own PKI): processes only read PEM files ({@link ClusterTls}).
 */
public final class CertificateAuthority {

    public static final String CERT_FILE = "ca.crt";
    public static final String KEY_FILE = "ca.key";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey key;

    private CertificateAuthority(X509Certificate certificate, PrivateKey key) {
        this.certificate = certificate;
        this.key = key;
    }

    /** A new self-signed CA, valid from now for {@code validity}. */
    public static CertificateAuthority create(String name, Duration validity) {
        KeyPair pair = newKeyPair();
        X500Name subject = name(name);
        Instant now = Instant.now();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            var builder = new JcaX509v3CertificateBuilder(
                            subject,
                            serial(),
                            Date.from(now.minus(Duration.ofMinutes(5))),
                            Date.from(now.plus(validity)),
                            subject,
                            pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(
                            Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            return new CertificateAuthority(sign(builder, pair.getPrivate()), pair.getPrivate());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot create a CA certificate", e);
        }
    }

    /** The CA saved in {@code dir} by {@link #save}. */
    public static CertificateAuthority load(Path dir) throws IOException {
        return new CertificateAuthority(
                Pem.readCertificates(dir.resolve(CERT_FILE)).getFirst(), Pem.readPrivateKey(dir.resolve(KEY_FILE)));
    }

    /** Writes ca.crt and ca.key (owner-only) into {@code dir}. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Pem.writeCertificates(dir.resolve(CERT_FILE), List.of(certificate));
        Pem.writePrivateKey(dir.resolve(KEY_FILE), key);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Issues a certificate for {@code hosts} (IP addresses or DNS names, checked by whoever connects to
     * it) valid from now for {@code validity}, and writes it as a {@link ClusterTls} directory: ca.crt,
     * tls.crt, tls.key.
     */
    public void issue(Path outDir, String name, List<String> hosts, Duration validity) throws IOException {
        Instant now = Instant.now();
        issue(outDir, name, hosts, now.minus(Duration.ofMinutes(5)), now.plus(validity));
    }

    /** As {@link #issue(Path, String, List, Duration)} for an explicit validity period (tests use an expired one). */
    public void issue(Path outDir, String name, List<String> hosts, Instant notBefore, Instant notAfter)
            throws IOException {
        if (hosts.isEmpty()) throw new IllegalArgumentException("a certificate needs at least one host name");
        KeyPair pair = newKeyPair();
        X509Certificate cert = leaf(name, hosts, pair.getPublic(), notBefore, notAfter);
        Files.createDirectories(outDir);
        Pem.writeCertificates(outDir.resolve(ClusterTls.CA_FILE), List.of(certificate));
        Pem.writeCertificates(outDir.resolve(ClusterTls.CERT_FILE), List.of(cert));
        Pem.writePrivateKey(outDir.resolve(ClusterTls.KEY_FILE), pair.getPrivate());
    }

    private X509Certificate leaf(String name, List<String> hosts, PublicKey key, Instant notBefore, Instant notAfter) {
        GeneralName[] names =
                hosts.stream().map(CertificateAuthority::generalName).toArray(GeneralName[]::new);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            var builder = new JcaX509v3CertificateBuilder(
                            certificate, serial(), Date.from(notBefore), Date.from(notAfter), name(name), key)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                    }))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key))
                    .addExtension(
                            Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            return sign(builder, this.key);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot issue a certificate for " + hosts, e);
        }
    }

    private static GeneralName generalName(String host) {
        return isIpLiteral(host)
                ? new GeneralName(GeneralName.iPAddress, host)
                : new GeneralName(GeneralName.dNSName, host);
    }

    static boolean isIpLiteral(String host) {
        if (host.contains(":")) return true; // IPv6
        if (!host.matches("[0-9.]+")) return false;
        try {
            return InetAddress.getByName(host) != null; // a literal: no lookup happens
        } catch (IOException e) {
            return false;
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static X500Name name(String commonName) {
        if (!commonName.matches("[A-Za-z0-9._ -]+"))
            throw new IllegalArgumentException(
                    "a certificate name takes letters, digits, '.', '_', '-': " + commonName);
        return new X500Name("CN=" + commonName + ",O=Basalt");
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE); // positive, as RFC 5280 asks
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 in this JDK", e);
        }
    }
}
