package io.basalt.core.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code GET /metrics} (Prometheus text) and {@code GET /health} (200 "ok" or 503 "unhealthy")
 * on the JDK's own HTTP server, for processes that serve no HTTP otherwise. One thread: a scrape
 * every few seconds needs no more.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(MetricsServer.class);

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** @param hostPort e.g. 127.0.0.1:9100; port 0 picks a free one */
    public static MetricsServer start(String hostPort, MetricRegistry registry, BooleanSupplier healthy)
            throws IOException {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("metrics address must be HOST:PORT, got " + hostPort);
        InetSocketAddress address =
                new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        HttpServer server = HttpServer.create(address, 16);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", ex -> handle(ex, registry, healthy));
        server.start();
        MetricsServer s = new MetricsServer(server, executor);
        log.info("metrics on http://{}:{}/metrics", address.getHostString(), s.port());
        return s;
    }

    private static void handle(HttpExchange ex, MetricRegistry registry, BooleanSupplier healthy) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                send(ex, 405, "text/plain", "method not allowed\n");
                return;
            }
            switch (ex.getRequestURI().getPath()) {
                case "/metrics" -> send(ex, 200, MetricRegistry.contentType(), registry.render());
                case "/health" -> {
                    boolean ok = healthy.getAsBoolean();
                    send(ex, ok ? 200 : 503, "text/plain", ok ? "ok\n" : "unhealthy\n");
                }
                default -> send(ex, 404, "text/plain", "not found\n");
            }
        } catch (RuntimeException e) {
            log.warn("metrics request {} failed: {}", ex.getRequestURI(), e.toString());
        }
    }

    private static void send(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
