package io.basalt.core.tls;

import io.grpc.netty.GrpcSslContexts;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.AdvancedTlsX509TrustManager.Verification;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The cluster's internal TLS for one process: mutual TLS 1.3 on every storage-node gRPC channel, with
 * certificates of one cluster CA. Read from a directory laid out as a Kubernetes TLS Secret with its CA
 * (cert-manager writes exactly this): {@code ca.crt}, {@code tls.crt}, {@code tls.key} (PEM, PKCS#8 key).
 * The files are checked for changes every {@link #RELOAD_CHECK}, so a renewed certificate is used for new
 * connections without a restart.
 *
 * <p>A server refuses any caller without a certificate of the CA; a client checks that the server's
 * certificate names the address it dialled (IP or DNS subject alternative name).
 */
public final class ClusterTls implements AutoCloseable {

    public static final String CA_FILE = "ca.crt";
    public static final String CERT_FILE = "tls.crt";
    public static final String KEY_FILE = "tls.key";
    static final Duration RELOAD_CHECK = Duration.ofSeconds(30);
    private static final Duration EXPIRY_WARNING = Duration.ofDays(14);
    private static final List<String> PROTOCOLS = List.of("TLSv1.3");
    private static final Logger log = LogManager.getLogger(ClusterTls.class);

    /**
     * The TLS of the data ports, which carry every shard byte: BoringSSL (netty-tcnative) where its native library
     * loads, else the JDK's engine. BoringSSL encrypts and decrypts in direct memory, where the socket reads and
     * writes, so a byte is not copied between the heap and direct memory on either side of the cipher, and it
     * sets up no cipher per record. {@code -Dbasalt.dataPort.tls=jdk} keeps the JDK's (measuring one against the
     * other). gRPC stays on the JDK's: it carries control calls only.
     */
    public static final SslProvider DATA_PORT_PROVIDER =
            !"jdk".equals(System.getProperty("basalt.dataPort.tls")) && OpenSsl.isAvailable()
                    ? SslProvider.OPENSSL
                    : SslProvider.JDK;

    private static final ScheduledExecutorService RELOADS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cluster-tls-reload");
        t.setDaemon(true);
        return t;
    });

    private final Path dir;
    private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    private final AdvancedTlsX509TrustManager serverTrust; // checks callers' certificates
    private final AdvancedTlsX509TrustManager clientTrust; // checks servers' certificates and names
    private final SslContext serverContext;
    private final SslContext clientContext;
    private final SslContext dataServerContext;
    private final SslContext dataClientContext;
    private final ScheduledFuture<?> reloads;
    private volatile List<FileTime> loaded = List.of();

    private ClusterTls(Path dir) throws IOException {
        this.dir = dir;
        try {
            serverTrust = AdvancedTlsX509TrustManager.newBuilder()
                    .setVerification(Verification.CERTIFICATE_ONLY_VERIFICATION)
                    .build();
            clientTrust = AdvancedTlsX509TrustManager.newBuilder()
                    .setVerification(Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
                    .build();
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        load();
        serverContext = build(GrpcSslContexts.configure(SslContextBuilder.forServer(keys), SslProvider.JDK)
                .trustManager(serverTrust)
                .clientAuth(ClientAuth.REQUIRE));
        clientContext = build(GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
                .keyManager(keys)
                .trustManager(clientTrust));
        // The data port speaks no HTTP/2, so no ALPN; the same keys and trust managers, hence the same checks and
        // reloads.
        dataServerContext = build(SslContextBuilder.forServer(keys)
                .sslProvider(DATA_PORT_PROVIDER)
                .trustManager(serverTrust)
                .clientAuth(ClientAuth.REQUIRE));
        dataClientContext = build(SslContextBuilder.forClient()
                .sslProvider(DATA_PORT_PROVIDER)
                .keyManager(keys)
                .trustManager(clientTrust));
        if (DATA_PORT_PROVIDER == SslProvider.OPENSSL) log.info("data ports' TLS: {}", OpenSsl.versionString());
        else if (OpenSsl.isAvailable()) log.info("data ports' TLS: the JDK's (-Dbasalt.dataPort.tls=jdk)");
        else log.info("data ports' TLS: the JDK's ({})", String.valueOf(OpenSsl.unavailabilityCause()));
        long period = RELOAD_CHECK.toMillis();
        reloads = RELOADS.scheduleWithFixedDelay(this::reloadIfChanged, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Loads {@code dir}'s ca.crt, tls.crt and tls.key.
     *
     * @throws IOException naming the file that is missing or unreadable, or a key that does not match its
     *     certificate
     */
    public static ClusterTls open(Path dir) throws IOException {
        for (String name : List.of(CA_FILE, CERT_FILE, KEY_FILE)) {
            if (!Files.isReadable(dir.resolve(name))) {
                throw new IOException("cluster TLS: " + dir.resolve(name) + " is missing or unreadable (a directory"
                        + " holds ca.crt, tls.crt and tls.key; `basalt admin tls` creates them)");
            }
        }
        return new ClusterTls(dir);
    }

    /**
     * A service's {@code --cluster-tls} value: the directory, or null for {@code none} (plaintext inside the
     * cluster). It has no default, so that a production process never runs without TLS by omission.
     */
    public static Path dirFlag(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing --cluster-tls DIR (ca.crt, tls.crt and tls.key of the"
                    + " cluster CA; `basalt admin tls` makes them), or --cluster-tls none for plaintext inside the"
                    + " cluster");
        }
        return value.equals("none") ? null : Path.of(value);
    }

    /** For gRPC servers: TLS 1.3, a client certificate of the cluster CA required. */
    public SslContext serverContext() {
        return serverContext;
    }

    /** For gRPC channels: TLS 1.3, this process's certificate offered, the server's name checked. */
    public SslContext clientContext() {
        return clientContext;
    }

    /** For storage nodes' data ports: as {@link #serverContext()}, without ALPN, on {@link #DATA_PORT_PROVIDER}. */
    public SslContext dataServerContext() {
        return dataServerContext;
    }

    /** For connections to data ports: as {@link #clientContext()}, without ALPN, on {@link #DATA_PORT_PROVIDER}. */
    public SslContext dataClientContext() {
        return dataClientContext;
    }

    /** For HTTPS clients of cluster services (etcd's JSON gateway): this process's certificate, the CA's trust. */
    public javax.net.ssl.SSLContext sslContext() {
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
            ctx.init(new javax.net.ssl.KeyManager[] {keys}, new javax.net.ssl.TrustManager[] {clientTrust}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS 1.3 in this JDK", e);
        }
    }

    public Path dir() {
        return dir;
    }

    private void load() throws IOException {
        List<FileTime> times = modified();
        Path cert = dir.resolve(CERT_FILE);
        X509Certificate leaf = Pem.readCertificates(cert).getFirst();
        Pem.readPrivateKey(dir.resolve(KEY_FILE)); // its own message when it is not PKCS#8
        try {
            keys.updateIdentityCredentials(cert.toFile(), dir.resolve(KEY_FILE).toFile());
            serverTrust.updateTrustCredentials(dir.resolve(CA_FILE).toFile());
            clientTrust.updateTrustCredentials(dir.resolve(CA_FILE).toFile());
        } catch (GeneralSecurityException e) {
            throw new IOException("cluster TLS in " + dir + ": " + e.getMessage(), e);
        }
        loaded = times;
        Instant expires = leaf.getNotAfter().toInstant();
        log.info(
                "cluster TLS from {}: {} valid until {}",
                dir,
                leaf.getSubjectX500Principal().getName(),
                expires);
        if (expires.isBefore(Instant.now().plus(EXPIRY_WARNING))) {
            log.warn("cluster TLS certificate {} expires at {}: renew it", dir.resolve(CERT_FILE), expires);
        }
    }

    /** Reloads all three files when any of them changed; a half-replaced set is retried at the next check. */
    void reloadIfChanged() {
        try {
            if (!modified().equals(loaded)) load();
        } catch (IOException | RuntimeException e) {
            log.warn("cluster TLS in {} not reloaded, still using the previous certificates: {}", dir, e.getMessage());
        }
    }

    private List<FileTime> modified() throws IOException {
        List<FileTime> times = new ArrayList<>(3);
        for (String name : List.of(CA_FILE, CERT_FILE, KEY_FILE)) {
            times.add(Files.getLastModifiedTime(dir.resolve(name)));
        }
        return times;
    }

    private static SslContext build(SslContextBuilder builder) throws IOException {
        try {
            return builder.protocols(PROTOCOLS).build();
        } catch (SSLException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        reloads.cancel(false);
    }
}
