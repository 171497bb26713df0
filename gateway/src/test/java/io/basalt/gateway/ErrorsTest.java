package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Authentication failures and S3 error documents, seen by the SDK and on the wire. */
class ErrorsTest {

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension("errors");

    @Test
    void wrongSecretIsSignatureDoesNotMatchAndStoresNothing() {
        try (S3Client bad = env.cluster().client("minioadmin", "not-the-secret")) {
            S3Exception e = assertThrows(
                    S3Exception.class,
                    () -> bad.putObject(b -> b.bucket("errors").key("forged"), RequestBody.fromString("x")));
            assertEquals(403, e.statusCode());
            assertEquals("SignatureDoesNotMatch", e.awsErrorDetails().errorCode());
        }
        S3Exception missing = assertThrows(
                S3Exception.class,
                () -> env.s3().headObject(b -> b.bucket("errors").key("forged")));
        assertEquals(404, missing.statusCode());
    }

    @Test
    void unknownAccessKey() {
        try (S3Client bad = env.cluster().client("nobody", "minioadmin")) {
            S3Exception e = assertThrows(S3Exception.class, () -> bad.listBuckets());
            assertEquals(403, e.statusCode());
            assertEquals("InvalidAccessKeyId", e.awsErrorDetails().errorCode());
        }
    }

    @Test
    void anonymousRequestGetsAccessDeniedXml() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(env.cluster().endpoint() + "/errors/x"))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(403, r.statusCode());
        assertEquals("application/xml", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.body().contains("<Code>AccessDenied</Code>"), r.body());
        assertTrue(r.body().contains("<RequestId>"), r.body());
    }

    @Test
    void missingKeyAndBucket() {
        S3Exception key = assertThrows(
                S3Exception.class,
                () -> env.s3().getObjectAsBytes(b -> b.bucket("errors").key("absent")));
        assertEquals(404, key.statusCode());
        assertEquals("NoSuchKey", key.awsErrorDetails().errorCode());
        S3Exception bucket = assertThrows(
                S3Exception.class,
                () -> env.s3().getObjectAsBytes(b -> b.bucket("no-such-bucket").key("a")));
        assertEquals("NoSuchBucket", bucket.awsErrorDetails().errorCode());
    }

    @Test
    void bodyThatDoesNotMatchTheSignedHashIsRejectedAndNotStored() throws Exception {
        // Signed (by the SDK's own signer) for one body, sent with another of the same length.
        URI uri = URI.create(env.cluster().endpoint() + "/errors/tampered");
        SdkHttpFullRequest unsigned = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.PUT)
                .uri(uri)
                .putHeader("Content-Length", "8")
                .build();
        SignedRequest signed = AwsV4HttpSigner.create()
                .sign(r -> r.identity(AwsBasicCredentials.create("minioadmin", "minioadmin"))
                        .request(unsigned)
                        .payload(ContentStreamProvider.fromUtf8String("original"))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                        .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, true));
        HttpRequest.Builder send = HttpRequest.newBuilder(uri).PUT(HttpRequest.BodyPublishers.ofString("tampered"));
        signed.request().headers().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("Host") && !name.equalsIgnoreCase("Content-Length"))
                send.header(name, values.get(0));
        });
        HttpResponse<String> r = HttpClient.newHttpClient().send(send.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("<Code>XAmzContentSHA256Mismatch</Code>"), r.body());
        S3Exception missing = assertThrows(
                S3Exception.class,
                () -> env.s3().headObject(b -> b.bucket("errors").key("tampered")));
        assertEquals(404, missing.statusCode());
    }

    @Test
    void clockSkewBeyondFifteenMinutesIsRefused() throws Exception {
        URI uri = URI.create(env.cluster().endpoint() + "/errors/skewed");
        SdkHttpFullRequest unsigned =
                SdkHttpFullRequest.builder().method(SdkHttpMethod.GET).uri(uri).build();
        SignedRequest signed = AwsV4HttpSigner.create()
                .sign(r -> r.identity(AwsBasicCredentials.create("minioadmin", "minioadmin"))
                        .request(unsigned)
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                        .putProperty(
                                AwsV4HttpSigner.SIGNING_CLOCK,
                                java.time.Clock.offset(
                                        java.time.Clock.systemUTC(), java.time.Duration.ofMinutes(-16))));
        HttpRequest.Builder send = HttpRequest.newBuilder(uri).GET();
        signed.request().headers().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("Host")) send.header(name, values.get(0));
        });
        HttpResponse<String> r = HttpClient.newHttpClient().send(send.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, r.statusCode());
        assertTrue(r.body().contains("<Code>RequestTimeTooSkewed</Code>"), r.body());
    }

    @Test
    void healthProbesNeedNoCredentials() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String path : new String[] {"/minio/health/live", "/minio/health/ready"}) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(env.cluster().endpoint() + path))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            assertTrue(r.headers().firstValue("x-amz-request-id").isPresent(), "every response has a request id");
            assertEquals("Basalt", r.headers().firstValue("Server").orElse(""));
        }
    }
}
