package io.basalt.gateway;

import io.basalt.testkit.Digests;
import io.basalt.testkit.SigV4Signer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Requests signed by testkit's raw-request signer, for what the S3 client cannot send: bodiless ones sent
 * with java.net.http, and heads of PUTs with an unsigned payload for a test to write on a raw socket.
 */
final class SignedHttp {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final SigV4Signer SIGNER =
            new SigV4Signer(TestCluster.ACCESS_KEY, TestCluster.SECRET_KEY, TestCluster.REGION);

    private SignedHttp() {}

    static HttpResponse<String> send(String method, URI uri) throws IOException, InterruptedException {
        Map<String, String> signed = SIGNER.sign(
                        method,
                        uri.getAuthority(),
                        uri.getRawPath(),
                        uri.getRawQuery(),
                        Map.of(),
                        Digests.EMPTY_SHA256,
                        Instant.now())
                .headers();
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody());
        signed.forEach((name, value) -> {
            if (!name.equalsIgnoreCase("Host")) b.header(name, value); // java.net.http sets Host itself
        });
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The request line and signed headers (UNSIGNED-PAYLOAD) of a PUT to {@code uri}, ending with the
     * blank line; {@code extraHeaders} are name, value pairs signed with the rest.
     */
    static String putHead(URI uri, long contentLength, String... extraHeaders) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Length", String.valueOf(contentLength));
        for (int i = 0; i + 1 < extraHeaders.length; i += 2) headers.put(extraHeaders[i], extraHeaders[i + 1]);
        Map<String, String> signed = SIGNER.sign(
                        "PUT", uri.getAuthority(), uri.getRawPath(), null, headers, "UNSIGNED-PAYLOAD", Instant.now())
                .headers();
        StringBuilder head = new StringBuilder("PUT " + uri.getRawPath() + " HTTP/1.1\r\n");
        signed.forEach(
                (name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        return head.append("\r\n").toString();
    }
}
