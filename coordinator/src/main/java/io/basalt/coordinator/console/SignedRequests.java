package io.basalt.coordinator.console;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * S3 requests to the gateway signed with a session's key (SigV4, the AWS SDK's signer; body unsigned,
 * as most S3 clients send over TLS), so the gateway authorises each one exactly as it would that key's
 * own request.
 */
final class SignedRequests {

    // the JDK's HttpClient sets these itself (from the URI and the body publisher) and refuses them
    private static final Set<String> SET_BY_CLIENT = Set.of("host", "content-length", "connection", "expect");
    private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();

    private final URI gateway;
    private final String region;

    SignedRequests(URI gateway, String region) {
        this.gateway = gateway;
        this.region = region;
    }

    /** The path of {@code bucket} (and {@code key} when not null), percent-encoded for the wire. */
    static String path(String bucket, String key) {
        String b = "/" + SdkHttpUtils.urlEncode(bucket);
        return key == null ? b : b + "/" + SdkHttpUtils.urlEncodeIgnoreSlashes(key);
    }

    /** A query string of {@code params} (name, value, name, value ...), empty values kept. */
    static String query(String... params) {
        StringBuilder q = new StringBuilder();
        for (int i = 0; i + 1 < params.length; i += 2) {
            if (params[i + 1] == null) continue;
            if (!q.isEmpty()) q.append('&');
            q.append(SdkHttpUtils.urlEncode(params[i])).append('=').append(SdkHttpUtils.urlEncode(params[i + 1]));
        }
        return q.toString();
    }

    /**
     * A signed request builder for {@code method rawPath?rawQuery} with {@code headers}; the caller adds the
     * body publisher (its length is not signed, the JDK sets Content-Length from it).
     */
    HttpRequest.Builder sign(
            ConsoleKey key, String method, String rawPath, String rawQuery, Map<String, String> headers) {
        URI uri = URI.create(gateway.toString().replaceAll("/+$", "")
                + rawPath
                + (rawQuery == null || rawQuery.isEmpty() ? "" : "?" + rawQuery));
        SdkHttpRequest.Builder unsigned = SdkHttpRequest.builder()
                .method(SdkHttpMethod.fromValue(method))
                .uri(uri)
                .putHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        headers.forEach(unsigned::putHeader);
        SignedRequest signed =
                SIGNER.sign(r -> r.identity(AwsCredentialsIdentity.create(key.accessKey(), key.secretKey()))
                        .request(unsigned.build())
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                        .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
                        .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
                        .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false));
        HttpRequest.Builder out = HttpRequest.newBuilder(uri);
        for (Map.Entry<String, List<String>> h : signed.request().headers().entrySet()) {
            if (SET_BY_CLIENT.contains(h.getKey().toLowerCase(Locale.ROOT))) continue;
            for (String v : h.getValue()) out.header(h.getKey(), v);
        }
        return out;
    }
}
