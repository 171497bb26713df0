package io.basalt.coordinator.console;

import io.basalt.core.meta.ClusterMetadata;
import io.basalt.core.tls.ServerCertificate;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The web console's HTTP(S) port: the page and its assets from the jar, {@code /health} for probes, and the
 * JSON API under {@code /api/} ({@link ConsoleApi}). Off unless {@code --console-listen} is given.
 */
public final class ConsoleServer implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(ConsoleServer.class);

    private final Undertow server;
    private final ServerCertificate certificate;
    private final int port;
    private final boolean https;

    private ConsoleServer(Undertow server, ServerCertificate certificate, int port) {
        this.server = server;
        this.certificate = certificate;
        this.port = port;
        this.https = certificate != null;
    }

    /**
     * @param meta the cluster's metadata, for status, object placement and operations (the caller closes it)
     * @param gatewayTrust trust for an https:// gateway, null for the JDK's default
     * @param healthy what {@code /health} answers
     */
    public static ConsoleServer start(
            ConsoleConfig cfg, ClusterMetadata meta, SSLContext gatewayTrust, BooleanSupplier healthy)
            throws IOException {
        int colon = cfg.listen().lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("--console-listen must be HOST:PORT, got " + cfg.listen());
        String host = cfg.listen().substring(0, colon);
        int port = Integer.parseInt(cfg.listen().substring(colon + 1));
        ServerCertificate certificate =
                cfg.tlsCert() == null ? null : ServerCertificate.open(cfg.tlsCert(), cfg.tlsKey());
        ConsoleApi api = new ConsoleApi(
                new Sessions(cfg.sessionIdle(), System::currentTimeMillis),
                new GatewayS3(cfg.gateway(), cfg.region(), gatewayTrust),
                new ClusterView(meta),
                new GatewayThroughput(cfg.gatewayMetrics()),
                certificate != null);
        StaticAssets assets = new StaticAssets("console/");
        BlockingHandler handler = new BlockingHandler(ex -> route(ex, api, assets, healthy));
        Undertow.Builder b = certificate == null
                ? Undertow.builder().addHttpListener(port, host)
                : Undertow.builder().addHttpsListener(port, host, certificate.sslContext());
        Undertow server = b.setIoThreads(1)
                .setWorkerThreads(16)
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, -1L)
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, 120_000)
                .setHandler(handler)
                .build();
        try {
            server.start();
        } catch (RuntimeException e) {
            if (certificate != null) certificate.close();
            throw new IOException("cannot serve the console on " + cfg.listen() + ": " + e.getMessage(), e);
        }
        int bound = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        ConsoleServer s = new ConsoleServer(server, certificate, bound);
        log.info("console on {}://{}:{}/ (S3 requests to {})", s.https ? "https" : "http", host, bound, cfg.gateway());
        return s;
    }

    private static void route(HttpServerExchange ex, ConsoleApi api, StaticAssets assets, BooleanSupplier healthy)
            throws IOException {
        String path = ex.getRequestPath();
        if (path.equals("/health")) {
            boolean ok = healthy.getAsBoolean();
            ex.setStatusCode(ok ? 200 : 503);
            ex.getResponseSender().send(ok ? "ok\n" : "unhealthy\n");
        } else if (path.startsWith("/api/")) {
            api.handle(ex);
        } else {
            assets.serve(ex);
        }
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        server.stop();
        if (certificate != null) certificate.close();
    }
}
