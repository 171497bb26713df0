package io.basalt.coordinator.console;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.basalt.coordinator.admin.CoordinatorStatus;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.Cookie;
import io.undertow.server.handlers.CookieImpl;
import io.undertow.util.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The console's JSON API. Signing in checks the key with the gateway; the session then acts with that key:
 * bucket and object calls are the key's own S3 requests ({@link GatewayS3}), and cluster status and
 * operations are allowed only to a key the gateway treats as root ({@link GatewayS3#isRoot}, asked
 * afresh on every such call). Calls that change anything must carry {@value #CSRF_HEADER}, which a
 * cross-site form cannot send; the cookie is SameSite=Strict as well.
 */
final class ConsoleApi {

    static final String COOKIE = "basalt_console";
    static final String CSRF_HEADER = "X-Basalt-Console";
    static final int PAGE = 100;

    private static final Logger log = LogManager.getLogger(ConsoleApi.class);

    private final Sessions sessions;
    private final GatewayS3 s3;
    private final ClusterView cluster;
    private final GatewayThroughput throughput;
    private final boolean https;
    private final LoginThrottle throttle = new LoginThrottle(System::currentTimeMillis);

    ConsoleApi(Sessions sessions, GatewayS3 s3, ClusterView cluster, GatewayThroughput throughput, boolean https) {
        this.sessions = sessions;
        this.s3 = s3;
        this.cluster = cluster;
        this.throughput = throughput;
        this.https = https;
    }

    void handle(HttpServerExchange ex) {
        StaticAssets.secure(ex);
        ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        String method = ex.getRequestMethod().toString();
        String path = ex.getRequestPath();
        try {
            boolean reads = method.equals("GET") || method.equals("HEAD");
            if (!reads && !ex.getRequestHeaders().contains(CSRF_HEADER)) {
                throw new ApiError(403, "a call that changes something must carry the " + CSRF_HEADER + " header");
            }
            if (path.equals("/api/login") && method.equals("POST")) {
                login(ex);
                return;
            }
            Optional<ConsoleSession> session = sessions.find(cookie(ex));
            if (path.equals("/api/logout") && method.equals("POST")) {
                sessions.close(cookie(ex));
                clearCookie(ex);
                json(ex, 200, Map.of("signed_in", false));
                return;
            }
            if (session.isEmpty() && path.equals("/api/session") && reads) {
                json(ex, 200, Map.of("signed_in", false)); // the page asks on load: not an error
                return;
            }
            if (session.isEmpty()) throw new ApiError(401, "not signed in");
            ConsoleKey key = session.get().key();
            switch (method + " " + path) {
                case "GET /api/session" ->
                    json(ex, 200, Map.of("signed_in", true, "access_key", key.accessKey(), "root", s3.isRoot(key)));
                case "GET /api/overview" -> overview(ex, key);
                case "GET /api/buckets" -> json(ex, 200, Map.of("buckets", s3.buckets(key)));
                case "POST /api/buckets" -> {
                    String name = field(body(ex), "name");
                    s3.createBucket(key, name);
                    json(ex, 200, Map.of("created", name));
                }
                case "DELETE /api/buckets" -> {
                    s3.deleteBucket(key, param(ex, "bucket"));
                    json(ex, 200, Map.of("deleted", param(ex, "bucket")));
                }
                case "GET /api/objects" ->
                    json(
                            ex,
                            200,
                            s3.list(
                                    key,
                                    param(ex, "bucket"),
                                    optionalParam(ex, "prefix"),
                                    optionalParam(ex, "token"),
                                    pageSize(optionalParam(ex, "max"))));
                case "GET /api/object" -> download(ex, key);
                case "PUT /api/object" -> upload(ex, key);
                case "DELETE /api/object" -> {
                    s3.delete(key, param(ex, "bucket"), param(ex, "key"));
                    json(ex, 200, Map.of("deleted", param(ex, "key")));
                }
                case "GET /api/object/details" -> details(ex, key);
                case "POST /api/ops/drain" -> {
                    requireRoot(key);
                    String node = field(body(ex), "node");
                    json(ex, 200, Map.of("node", node, "started", cluster.drain(node)));
                }
                case "POST /api/ops/undrain" -> {
                    requireRoot(key);
                    String node = field(body(ex), "node");
                    json(ex, 200, Map.of("node", node, "cancelled", cluster.undrain(node)));
                }
                case "POST /api/ops/heal" -> {
                    requireRoot(key);
                    cluster.heal(key.accessKey());
                    json(ex, 200, Map.of("requested", true));
                }
                case "POST /api/ops/heal-rate" -> {
                    requireRoot(key);
                    double mbps;
                    try {
                        mbps = Double.parseDouble(field(body(ex), "mbps"));
                    } catch (NumberFormatException e) {
                        throw new ApiError(400, "the heal rate must be a number of MB/s");
                    }
                    try {
                        cluster.healRate(mbps);
                    } catch (IllegalArgumentException e) {
                        throw new ApiError(400, e.getMessage());
                    }
                    json(ex, 200, Map.of("heal_rate_mbps", mbps));
                }
                default -> throw new ApiError(404, "no such call: " + method + " " + path);
            }
        } catch (ApiError e) {
            error(ex, e.status, e.getMessage());
        } catch (GatewayException e) {
            error(
                    ex,
                    e.status() == 404 || e.status() == 403 || e.status() == 409 || e.status() == 400 ? e.status() : 502,
                    e.getMessage());
        } catch (RuntimeException | IOException e) {
            log.warn("console {} {} failed: {}", method, path, e.toString());
            error(ex, 500, "the console failed: " + e.getMessage());
        }
    }

    private void login(HttpServerExchange ex) throws IOException {
        String client = ex.getSourceAddress() == null
                ? ""
                : ex.getSourceAddress().getAddress().getHostAddress();
        if (!throttle.allows(client)) {
            throw new ApiError(429, "too many failed sign-ins from this address: wait a minute");
        }
        JsonObject body = body(ex);
        ConsoleKey key = new ConsoleKey(field(body, "access_key"), field(body, "secret_key"));
        if (!s3.accepts(key)) {
            throttle.failed(client);
            log.info("console: sign-in refused for key {} from {}", key.accessKey(), client);
            throw new ApiError(401, "the gateway does not accept this access key and secret");
        }
        throttle.succeeded(client);
        String id = sessions.open(key);
        Cookie c = new CookieImpl(COOKIE, id)
                .setPath("/")
                .setHttpOnly(true)
                .setSameSiteMode("Strict")
                .setSecure(https);
        ex.setResponseCookie(c);
        log.info("console: key {} signed in", key.accessKey());
        json(ex, 200, Map.of("signed_in", true, "access_key", key.accessKey(), "root", s3.isRoot(key)));
    }

    private void clearCookie(HttpServerExchange ex) {
        ex.setResponseCookie(new CookieImpl(COOKIE, "")
                .setPath("/")
                .setHttpOnly(true)
                .setSameSiteMode("Strict")
                .setSecure(https)
                .setMaxAge(0));
    }

    private void overview(HttpServerExchange ex, ConsoleKey key) throws IOException {
        requireRoot(key);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", cluster.status());
        out.put("throughput", throughput.rates());
        out.put("heal_rate_mbps", cluster.healRateSetting().orElse(null));
        json(ex, 200, out);
    }

    private void details(HttpServerExchange ex, ConsoleKey key) throws IOException {
        String bucket = param(ex, "bucket");
        String object = param(ex, "key");
        GatewayS3.Head head = s3.head(key, bucket, object); // authorises: the key may read the object
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("bucket", bucket);
        out.put("key", object);
        out.put("head", head);
        out.put(
                "placement",
                cluster.placement(bucket, object).map(ObjectPlacement::asJson).orElse(null));
        json(ex, 200, out);
    }

    private void upload(HttpServerExchange ex, ConsoleKey key) throws IOException {
        String length = ex.getRequestHeaders().getFirst(Headers.CONTENT_LENGTH);
        if (length == null) throw new ApiError(411, "an upload needs its Content-Length");
        String type = Optional.ofNullable(ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE))
                .filter(t -> !t.isBlank())
                .orElse("application/octet-stream");
        String etag;
        try (InputStream in = ex.getInputStream()) {
            etag = s3.put(key, param(ex, "bucket"), param(ex, "key"), in, Long.parseLong(length), type);
        }
        json(ex, 200, Map.of("key", param(ex, "key"), "etag", etag));
    }

    private void download(HttpServerExchange ex, ConsoleKey key) throws IOException {
        String object = param(ex, "key");
        HttpResponse<InputStream> r = s3.get(key, param(ex, "bucket"), object);
        try (InputStream in = r.body()) {
            String name = object.substring(object.lastIndexOf('/') + 1);
            ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
            ex.getResponseHeaders()
                    .put(
                            Headers.CONTENT_DISPOSITION,
                            "attachment; filename*=UTF-8''"
                                    + URLEncoder.encode(name.isEmpty() ? "object" : name, StandardCharsets.UTF_8)
                                            .replace("+", "%20"));
            r.headers().firstValueAsLong("Content-Length").ifPresent(n -> ex.setResponseContentLength(n));
            OutputStream out = ex.getOutputStream();
            in.transferTo(out);
            out.close();
        }
    }

    /** Entries a listing page holds: {@value #PAGE} unless the call asks for 1 to 1000. */
    private static int pageSize(String max) {
        if (max == null) return PAGE;
        try {
            int n = Integer.parseInt(max);
            if (n >= 1 && n <= 1000) return n;
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new ApiError(400, "max must be 1 to 1000");
    }

    private void requireRoot(ConsoleKey key) {
        if (!s3.isRoot(key)) {
            throw new ApiError(
                    403,
                    "only the gateway's root key may see cluster status and run operations (as with MinIO's admin API)");
        }
    }

    private static String cookie(HttpServerExchange ex) {
        Cookie c = ex.getRequestCookie(COOKIE);
        return c == null ? null : c.getValue();
    }

    private static JsonObject body(HttpServerExchange ex) throws IOException {
        byte[] bytes = ex.getInputStream().readNBytes(64 << 10);
        try {
            return JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new ApiError(400, "the body must be a JSON object");
        }
    }

    private static String field(JsonObject body, String name) {
        if (!body.has(name)
                || !body.get(name).isJsonPrimitive()
                || body.get(name).getAsString().isBlank()) throw new ApiError(400, "missing " + name);
        return body.get(name).getAsString();
    }

    private static String param(HttpServerExchange ex, String name) {
        String v = optionalParam(ex, name);
        if (v == null || v.isEmpty()) throw new ApiError(400, "missing " + name);
        return v;
    }

    private static String optionalParam(HttpServerExchange ex, String name) {
        Deque<String> v = ex.getQueryParameters().get(name);
        return v == null || v.isEmpty() ? null : v.getFirst();
    }

    private static void json(HttpServerExchange ex, int status, Object body) throws IOException {
        byte[] bytes = CoordinatorStatus.JSON.toJson(body).getBytes(StandardCharsets.UTF_8);
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        ex.setResponseContentLength(bytes.length);
        ex.getOutputStream().write(bytes);
    }

    private static void error(HttpServerExchange ex, int status, String message) {
        try {
            if (ex.isResponseStarted()) {
                ex.getConnection().close(); // a download cut short must not look complete
                return;
            }
            ex.getResponseHeaders().remove(Headers.CONTENT_DISPOSITION);
            json(ex, status, Map.of("error", message == null ? "failed" : message));
        } catch (IOException e) {
            log.debug("console: cannot answer {}: {}", ex.getRequestPath(), e.toString());
        }
    }

    /** A refusal of the console's own, with its HTTP status. */
    static final class ApiError extends RuntimeException {
        final int status;

        ApiError(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
