package io.basalt.coordinator.console;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The console's page, scripts and styles from the jar (resources under {@code console/}), with their
 * content types and a policy that lets the page load nothing from anywhere else.
 */
final class StaticAssets {

    static final String SECURITY_POLICY =
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none';"
                    + " frame-ancestors 'none'; form-action 'self'";

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon");

    private final String root;
    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    StaticAssets(String root) {
        this.root = root;
    }

    void serve(HttpServerExchange ex) throws IOException {
        String method = ex.getRequestMethod().toString();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            ex.setStatusCode(405);
            return;
        }
        String path = ex.getRequestPath();
        String name = path.equals("/") ? "index.html" : path.substring(1);
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1));
        // only plain names of known types: no "..", no directories outside the console's own
        if (type == null || name.contains("..") || name.contains("//") || !name.matches("[A-Za-z0-9_./-]+")) {
            notFound(ex);
            return;
        }
        byte[] body = cache.computeIfAbsent(name, this::read);
        if (body.length == 0) {
            cache.remove(name);
            notFound(ex);
            return;
        }
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, type);
        secure(ex);
        ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
        ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
        if (method.equals("GET")) ex.getOutputStream().write(body);
    }

    /** The headers every answer of the console carries. */
    static void secure(HttpServerExchange ex) {
        ex.getResponseHeaders()
                .put(io.undertow.util.HttpString.tryFromString("Content-Security-Policy"), SECURITY_POLICY);
        ex.getResponseHeaders().put(io.undertow.util.HttpString.tryFromString("X-Content-Type-Options"), "nosniff");
        ex.getResponseHeaders().put(io.undertow.util.HttpString.tryFromString("Referrer-Policy"), "no-referrer");
        ex.getResponseHeaders().put(io.undertow.util.HttpString.tryFromString("X-Frame-Options"), "DENY");
    }

    private byte[] read(String name) {
        try (InputStream in = StaticAssets.class.getClassLoader().getResourceAsStream(root + name)) {
            return in == null ? new byte[0] : in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static void notFound(HttpServerExchange ex) {
        ex.setStatusCode(404);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
        ex.getResponseSender().send("not found\n");
    }
}
