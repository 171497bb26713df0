package io.basalt.gateway;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Requests signed by the SDK's own SigV4 signer, for what the S3 client cannot send: bodiless ones sent
 * with java.net.http, and heads of PUTs with an unsigned payload for a test to write on a raw socket.
 */
final class SignedHttp {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private SignedHttp() {
    }

    static HttpResponse<String> send(String method, URI uri) throws IOException, InterruptedException {
        SdkHttpFullRequest unsigned = SdkHttpFullRequest.builder().method(SdkHttpMethod.fromValue(method)).uri(uri).build();
        SignedRequest signed = sign(unsigned, true);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody());
        signed.request().headers().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("Host")) b.header(name, values.get(0));
        });
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The request line and signed headers (UNSIGNED-PAYLOAD) of a PUT to {@code uri}, ending with the
     * blank line; {@code extraHeaders} are name, value pairs signed with the rest.
     */
    static String putHead(URI uri, long contentLength, String... extraHeaders) {
        SdkHttpFullRequest.Builder b = SdkHttpFullRequest.builder().method(SdkHttpMethod.PUT).uri(uri)
                .putHeader("Content-Length", String.valueOf(contentLength))
                .putHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        for (int i = 0; i + 1 < extraHeaders.length; i += 2) b.putHeader(extraHeaders[i], extraHeaders[i + 1]);
        SdkHttpFullRequest unsigned = b.build();
        SignedRequest signed = sign(unsigned, false);
        StringBuilder head = new StringBuilder("PUT " + uri.getRawPath() + " HTTP/1.1\r\n");
        signed.request().headers().forEach((name, values) -> head.append(name).append(": ").append(values.get(0)).append("\r\n"));
        if (signed.request().firstMatchingHeader("Host").isEmpty()) head.append("Host: ").append(uri.getAuthority()).append("\r\n");
        return head.append("\r\n").toString();
    }

    private static SignedRequest sign(SdkHttpFullRequest unsigned, boolean signPayload) {
        return AwsV4HttpSigner.create().sign(r -> r
                .identity(AwsBasicCredentials.create("minioadmin", "minioadmin"))
                .request(unsigned)
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, signPayload));
    }
}
