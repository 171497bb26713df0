package io.basalt.core.tls;

import io.grpc.util.AdvancedTlsX509KeyManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The certificate a public HTTPS port (the S3 port) presents: a PEM chain and its PKCS#8 key, as certbot,
 * cert-manager or an enterprise CA write them. The files are checked every {@link #RELOAD_CHECK}; a renewed
 * pair is served to new connections without a restart, and a pair that does not load (half written, a key
 * that does not match) leaves the previous one in service.
 */
public final class ServerCertificate implements AutoCloseable {

    static final Duration RELOAD_CHECK = Duration.ofSeconds(30);
    private static final Logger log = LogManager.getLogger(ServerCertificate.class);
    private static final ScheduledExecutorService RELOADS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "server-certificate-reload");
        t.setDaemon(true);
        return t;
    });

    private final Path cert;
    private final Path key;
    private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    private final SSLContext context;
    private final ScheduledFuture<?> reloads;
    private volatile List<FileTime> loaded = List.of();

    private ServerCertificate(Path cert, Path key) throws IOException {
        this.cert = cert;
        this.key = key;
        load();
        try {
            context = SSLContext.getInstance("TLS"); // 1.2 and 1.3: S3 clients in the field speak either
            context.init(new KeyManager[] {keys}, null, null);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
        long period = RELOAD_CHECK.toMillis();
        reloads = RELOADS.scheduleWithFixedDelay(this::reloadIfChanged, period, period, TimeUnit.MILLISECONDS);
    }

    /** @throws IOException naming the file that is missing or unreadable, or a key that does not match */
    public static ServerCertificate open(Path cert, Path key) throws IOException {
        for (Path p : List.of(cert, key)) {
            if (!Files.isReadable(p)) throw new IOException("TLS: " + p + " is missing or unreadable");
        }
        return new ServerCertificate(cert, key);
    }

    public SSLContext sslContext() {
        return context;
    }

    private void load() throws IOException {
        List<FileTime> times = List.of(Files.getLastModifiedTime(cert), Files.getLastModifiedTime(key));
        X509Certificate leaf = Pem.readCertificates(cert).getFirst();
        Pem.readPrivateKey(key); // its own message when it is not PKCS#8
        try {
            keys.updateIdentityCredentials(cert.toFile(), key.toFile());
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS certificate " + cert + " and key " + key + ": " + e.getMessage(), e);
        }
        loaded = times;
        log.info(
                "serving TLS certificate {} ({}) valid until {}",
                cert,
                leaf.getSubjectX500Principal().getName(),
                leaf.getNotAfter().toInstant());
    }

    void reloadIfChanged() {
        try {
            if (!List.of(Files.getLastModifiedTime(cert), Files.getLastModifiedTime(key))
                    .equals(loaded)) load();
        } catch (IOException | RuntimeException e) {
            log.warn("TLS certificate {} not reloaded, still serving the previous one: {}", cert, e.getMessage());
        }
    }

    @Override
    public void close() {
        reloads.cancel(false);
    }
}
