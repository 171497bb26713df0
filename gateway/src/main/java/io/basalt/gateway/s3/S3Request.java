package io.basalt.gateway.s3;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One S3 request as the handlers see it: method, bucket and key decoded from the path,
 * query parameters decoded from the raw query string (so "?uploads" and "?location" with
 * no value survive), and the body once authentication has wrapped it.
 */
public final class S3Request {

    private final HttpServerExchange exchange;
    private final String bucket;
    private final String key;
    private final String rawPath;
    private final Map<String, String> query;
    private final boolean virtualHosted;
    private InputStream body;
    private String accessKeyId;

    private S3Request(
            HttpServerExchange exchange,
            String bucket,
            String key,
            String rawPath,
            Map<String, String> query,
            boolean virtualHosted) {
        this.exchange = exchange;
        this.bucket = bucket;
        this.key = key;
        this.rawPath = rawPath;
        this.query = query;
        this.virtualHosted = virtualHosted;
    }

    /** Path-style addressing: /bucket/key. */
    public static S3Request parse(HttpServerExchange ex) {
        return parse(ex, null);
    }

    /**
     * Virtual-hosted-style when {@code domain} is set and the Host is {@code <bucket>.<domain>[:port]}:
     * the bucket comes from the Host and the whole path is the key. Path-style otherwise.
     */
    public static S3Request parse(HttpServerExchange ex, String domain) {
        String raw = ex.getRequestURI();
        int q = raw.indexOf('?');
        if (q >= 0) raw = raw.substring(0, q);
        if (raw.startsWith("http://") || raw.startsWith("https://")) {
            int slash = raw.indexOf('/', raw.indexOf("//") + 2);
            raw = slash < 0 ? "/" : raw.substring(slash);
        }
        String path;
        try {
            path = UriEncoding.decodePath(raw);
        } catch (IllegalArgumentException e) {
            throw new S3Exception(S3Error.INVALID_URI); // bad escapes or bytes that are not UTF-8: no key to guess
        }
        Map<String, String> query = parseQuery(ex.getQueryString());
        String hostBucket = bucketFromHost(ex.getRequestHeaders().getFirst("Host"), domain);
        if (hostBucket != null) {
            String k = path.startsWith("/") ? path.substring(1) : path;
            return new S3Request(ex, hostBucket, k.isEmpty() ? null : k, raw, query, true);
        }
        String bucket = null, key = null;
        if (path.length() > 1) {
            int slash = path.indexOf('/', 1);
            if (slash < 0) {
                bucket = path.substring(1);
            } else {
                bucket = path.substring(1, slash);
                String k = path.substring(slash + 1);
                key = k.isEmpty() ? null : k;
            }
        }
        return new S3Request(ex, bucket, key, raw, query, false);
    }

    /** The bucket a Host header names under {@code domain}, or null (no domain, the bare domain, another host). */
    static String bucketFromHost(String host, String domain) {
        if (domain == null || domain.isEmpty() || host == null) return null;
        String h = host.trim().toLowerCase(Locale.ROOT);
        int colon = h.lastIndexOf(':');
        if (colon >= 0 && h.indexOf(']') < colon) h = h.substring(0, colon); // strip the port, not an IPv6 group
        if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        String suffix = "." + domain.toLowerCase(Locale.ROOT);
        if (!h.endsWith(suffix) || h.length() == suffix.length()) return null;
        return h.substring(0, h.length() - suffix.length());
    }

    public static Map<String, String> parseQuery(String raw) {
        if (raw == null || raw.isEmpty()) return Collections.emptyMap();
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String name = UriEncoding.decode(eq < 0 ? pair : pair.substring(0, eq), true);
            String value = eq < 0 ? "" : UriEncoding.decode(pair.substring(eq + 1), true);
            out.putIfAbsent(name, value);
        }
        return out;
    }

    public HttpServerExchange exchange() {
        return exchange;
    }

    public String method() {
        return exchange.getRequestMethod().toString();
    }

    public String bucket() {
        return bucket;
    }

    public String key() {
        return key;
    }

    /** True when the bucket was named by the Host header rather than the path. */
    public boolean virtualHosted() {
        return virtualHosted;
    }

    /** The path exactly as sent, still percent-encoded. */
    public String rawPath() {
        return rawPath;
    }

    public Map<String, String> query() {
        return query;
    }

    public boolean hasQuery(String name) {
        return query.containsKey(name);
    }

    public String queryParam(String name) {
        return query.get(name);
    }

    /**
     * All values of a header joined by commas, or null. Each byte of it is one char (ISO-8859-1), as Undertow
     * reads it: stored and answered back so, a value comes back in the bytes it was sent in.
     */
    public String header(String name) {
        HeaderValues v = exchange.getRequestHeaders().get(name);
        if (v == null || v.isEmpty()) return null;
        return v.size() == 1 ? v.getFirst() : String.join(",", v);
    }

    /**
     * A header's text as its sender meant it: bytes beyond ASCII read as UTF-8 when they are UTF-8 (what
     * botocore, minio-go and curl send), else as ISO-8859-1 (the AWS SDK for Java). Both sign that text.
     */
    public static String decodedText(String latin1) {
        int i = 0;
        while (i < latin1.length() && latin1.charAt(i) < 0x80) i++;
        if (i == latin1.length()) return latin1; // ASCII, nearly always
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(ByteBuffer.wrap(latin1.getBytes(StandardCharsets.ISO_8859_1)))
                    .toString();
        } catch (CharacterCodingException e) {
            return latin1;
        }
    }

    public Iterable<HttpString> headerNames() {
        return exchange.getRequestHeaders().getHeaderNames();
    }

    /** Content-Length, or -1 when absent. */
    public long contentLength() {
        return exchange.getRequestContentLength();
    }

    public InputStream body() {
        return body;
    }

    public void body(InputStream body) {
        this.body = body;
    }

    /** The access key whose signature the request carries; null until authenticated. */
    public String accessKeyId() {
        return accessKeyId;
    }

    public void accessKeyId(String accessKeyId) {
        this.accessKeyId = accessKeyId;
    }
}
