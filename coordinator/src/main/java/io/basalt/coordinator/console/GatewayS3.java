package io.basalt.coordinator.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * Every bucket and object action of the console, as the S3 request the signed-in key would make itself:
 * the gateway authenticates and authorises it, so the console can do nothing the key could not. Bodies
 * stream through in both directions (the JDK client's buffers only), whatever the object's size.
 */
final class GatewayS3 {

    /** What HeadObject tells of an object. */
    record Head(long size, String etag, String contentType, String lastModified, String versionId) {}

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String ADMIN_INFO = "/minio/admin/v3/info";

    private final SignedRequests signer;
    private final HttpClient http;

    /** @param ssl trust for an https:// gateway; null for the JDK's default */
    GatewayS3(URI gateway, String region, SSLContext ssl) {
        this.signer = new SignedRequests(gateway, region);
        HttpClient.Builder b =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
        if (ssl != null) b.sslContext(ssl);
        this.http = b.build();
    }

    /** Whether the gateway knows the key and its secret: ListBuckets, which any valid key may call, answers 200. */
    boolean accepts(ConsoleKey key) {
        int status = status(key, "GET", "/", null);
        if (status == 200) return true;
        if (status == 403) return false;
        throw new GatewayException(502, "GatewayError", "the gateway answered " + status + " to a signed ListBuckets");
    }

    /**
     * Whether the gateway treats the key as its root key: only the root key may call MinIO's admin info
     * ({@code GET /minio/admin/v3/info}), the same rule that keeps bucket creation and the admin API to it.
     */
    boolean isRoot(ConsoleKey key) {
        return status(key, "GET", ADMIN_INFO, null) == 200;
    }

    List<S3Xml.Bucket> buckets(ConsoleKey key) {
        return S3Xml.buckets(bytes(key, "GET", "/", null));
    }

    void createBucket(ConsoleKey key, String bucket) {
        bytes(key, "PUT", SignedRequests.path(bucket, null), null);
    }

    void deleteBucket(ConsoleKey key, String bucket) {
        bytes(key, "DELETE", SignedRequests.path(bucket, null), null);
    }

    /** A page of at most {@code max} entries under {@code prefix}, "/" the delimiter. */
    S3Xml.Listing list(ConsoleKey key, String bucket, String prefix, String token, int max) {
        String q = SignedRequests.query(
                "continuation-token",
                token,
                "delimiter",
                "/",
                "list-type",
                "2",
                "max-keys",
                Integer.toString(max),
                "prefix",
                prefix == null ? "" : prefix);
        return S3Xml.listing(bytes(key, "GET", SignedRequests.path(bucket, null), q));
    }

    Head head(ConsoleKey key, String bucket, String object) {
        HttpResponse<byte[]> r = send(
                signer.sign(key, "HEAD", SignedRequests.path(bucket, object), null, Map.of())
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) throw refused(r.statusCode(), r.body());
        var h = r.headers();
        return new Head(
                h.firstValueAsLong("Content-Length").orElse(-1),
                S3Xml.unquote(h.firstValue("ETag").orElse("")),
                h.firstValue("Content-Type").orElse(""),
                h.firstValue("Last-Modified").orElse(""),
                h.firstValue("x-amz-version-id").orElse(null));
    }

    /** Uploads {@code length} bytes from {@code body}; returns the object's ETag. */
    String put(ConsoleKey key, String bucket, String object, InputStream body, long length, String contentType) {
        HttpRequest.Builder req = signer.sign(
                        key, "PUT", SignedRequests.path(bucket, object), null, Map.of("Content-Type", contentType))
                .timeout(Duration.ofHours(1))
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> body), length));
        HttpResponse<byte[]> r = send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) throw refused(r.statusCode(), r.body());
        return S3Xml.unquote(r.headers().firstValue("ETag").orElse(""));
    }

    /** The object's body as a stream the caller closes; a refusal as a {@link GatewayException}. */
    HttpResponse<InputStream> get(ConsoleKey key, String bucket, String object) {
        HttpRequest.Builder req = signer.sign(key, "GET", SignedRequests.path(bucket, object), null, Map.of())
                .timeout(Duration.ofHours(1))
                .GET();
        HttpResponse<InputStream> r = send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            try (InputStream in = r.body()) {
                throw refused(r.statusCode(), in.readNBytes(64 << 10));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return r;
    }

    void delete(ConsoleKey key, String bucket, String object) {
        bytes(key, "DELETE", SignedRequests.path(bucket, object), null);
    }

    private int status(ConsoleKey key, String method, String path, String query) {
        HttpRequest.Builder req = signer.sign(key, method, path, query, Map.of())
                .timeout(TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.noBody());
        return send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Sends a request without a body; its answer's body when 2xx, else a {@link GatewayException}. */
    private byte[] bytes(ConsoleKey key, String method, String path, String query) {
        HttpRequest.Builder req = signer.sign(key, method, path, query, Map.of())
                .timeout(TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.noBody());
        HttpResponse<byte[]> r = send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() / 100 != 2) throw refused(r.statusCode(), r.body());
        return r.body();
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder req, HttpResponse.BodyHandler<T> body) {
        try {
            return http.send(req.build(), body);
        } catch (IOException e) {
            throw new GatewayException(502, "GatewayUnreachable", "cannot reach the gateway: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException(503, "Interrupted", "interrupted");
        }
    }

    private static GatewayException refused(int status, byte[] body) {
        String error = body == null || body.length == 0 ? null : S3Xml.error(body);
        String code = error == null ? "Status" + status : error.substring(0, error.indexOf(':'));
        return new GatewayException(status, code, error == null ? "the gateway answered " + status : error);
    }
}
