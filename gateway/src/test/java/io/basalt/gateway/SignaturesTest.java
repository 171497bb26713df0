package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.SigV4Signer;
import io.basalt.testkit.TestBytes;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.checksums.spi.ChecksumAlgorithm;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * SigV4 variants, signed by the AWS SDK's own signer and checked by the gateway: presigned
 * URLs (and their expiry), and aws-chunked bodies with per-chunk signatures and trailers.
 */
class SignaturesTest {

    static final String BUCKET = "signatures";
    static final Set<String> RESTRICTED = Set.of("host", "content-length", "expect", "connection");

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;
    static S3Presigner presigner;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2);
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket(BUCKET));
        presigner = S3Presigner.builder()
                .endpointOverride(URI.create(cluster.endpoint()))
                .region(Region.US_EAST_1)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("minioadmin", "minioadmin")))
                .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder()
                        .pathStyleAccessEnabled(true)
                        .build())
                .build();
    }

    @AfterAll
    static void stop() {
        if (presigner != null) presigner.close();
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void presignedPutAndGet() throws Exception {
        byte[] data = TestBytes.random(5, 300_000);
        URI put = presignedPut("presigned");
        HttpResponse<String> up = http.send(
                HttpRequest.newBuilder(put)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(data))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, up.statusCode(), up.body());

        URI get = presigner
                .presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5))
                        .getObjectRequest(r -> r.bucket(BUCKET).key("presigned")))
                .url()
                .toURI();
        HttpResponse<byte[]> down =
                http.send(HttpRequest.newBuilder(get).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, down.statusCode());
        assertArrayEquals(data, down.body());

        URI forged = URI.create(get.toString().replace("/presigned?", "/other?"));
        HttpResponse<String> bad =
                http.send(HttpRequest.newBuilder(forged).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, bad.statusCode());
        assertTrue(bad.body().contains("<Code>SignatureDoesNotMatch</Code>"), bad.body());
    }

    /** A presigned PUT URL cannot be turned into a CopyObject (or given metadata) by headers it did not sign. */
    @Test
    void headersAPresignedUrlDidNotSignAreRefusedAndNothingIsWritten() throws Exception {
        s3.putObject(b -> b.bucket(BUCKET).key("private-source"), RequestBody.fromString("secret bytes"));
        URI put = presignedPut("copied-by-trick");
        for (String[] header :
                new String[][] {{"x-amz-copy-source", "/" + BUCKET + "/private-source"}, {"x-amz-meta-owner", "mallory"}
                }) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(put)
                            .header(header[0], header[1])
                            .PUT(HttpRequest.BodyPublishers.ofString("x"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, r.statusCode(), r.body());
            assertTrue(
                    r.body().contains("<Code>AccessDenied</Code>") && r.body().contains(header[0]), r.body());
            assertNotStored("copied-by-trick");
        }
    }

    @Test
    void expiredPresignedUrlIsRefused() throws Exception {
        s3.putObject(b -> b.bucket(BUCKET).key("short-lived"), RequestBody.fromString("x"));
        URI get = presigner
                .presignGetObject(p -> p.signatureDuration(Duration.ofSeconds(1))
                        .getObjectRequest(r -> r.bucket(BUCKET).key("short-lived")))
                .url()
                .toURI();
        Thread.sleep(2100);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(get).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, r.statusCode());
        assertTrue(r.body().contains("<Code>AccessDenied</Code>") && r.body().contains("expired"), r.body());
    }

    @Test
    void signedChunkedUploadsWithAndWithoutTrailer() throws Exception {
        byte[] data = TestBytes.random(11, 300_000); // several 128 KiB chunks
        for (ChecksumAlgorithm trailer : new ChecksumAlgorithm[] {null, DefaultChecksumAlgorithm.CRC32}) {
            String key = "chunked-" + (trailer == null ? "plain" : "trailer");
            HttpRequest req = chunked(key, data, trailer, false);
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertArrayEquals(
                    data, s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray(), key);
        }
    }

    @Test
    void tamperedChunkIsRejectedAndNotStored() throws Exception {
        byte[] data = TestBytes.random(12, 300_000);
        HttpResponse<String> r =
                http.send(chunked("chunked-tampered", data, null, true), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, r.statusCode(), r.body());
        assertTrue(r.body().contains("<Code>SignatureDoesNotMatch</Code>"), r.body());
        S3Exception e = assertThrows(
                S3Exception.class, () -> s3.headObject(b -> b.bucket(BUCKET).key("chunked-tampered")));
        assertEquals(404, e.statusCode());
    }

    @Test
    void bodiesOfSeveralStripesAreCheckedBesideTheEncoder() throws Exception {
        // 2.5 MiB: the chunk signatures, the trailer and the MD5 are computed on the hashing thread
        byte[] data = TestBytes.random(14, (5 << 20) / 2);
        HttpResponse<String> ok = http.send(
                chunked("stripes-trailer", data, DefaultChecksumAlgorithm.CRC32, false),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(
                "\""
                        + java.util.HexFormat.of()
                                .formatHex(java.security.MessageDigest.getInstance("MD5")
                                        .digest(data))
                        + "\"",
                ok.headers().firstValue("ETag").orElseThrow());
        assertArrayEquals(
                data,
                s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("stripes-trailer"))
                        .asByteArray());

        HttpResponse<String> tampered = http.send(
                chunked("stripes-tampered", data, DefaultChecksumAlgorithm.CRC32, true),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, tampered.statusCode(), tampered.body());
        assertTrue(tampered.body().contains("<Code>SignatureDoesNotMatch</Code>"), tampered.body());
        assertNotStored("stripes-tampered");

        // the whole body's SHA-256 signed in x-amz-content-sha256, one byte changed after signing
        URI uri = URI.create(cluster.endpoint() + "/" + BUCKET + "/stripes-sha256");
        SignedRequest signed = AwsV4HttpSigner.create()
                .sign(r -> r.identity(AwsBasicCredentials.create("minioadmin", "minioadmin"))
                        .request(SdkHttpFullRequest.builder()
                                .method(SdkHttpMethod.PUT)
                                .uri(uri)
                                .putHeader("Content-Length", String.valueOf(data.length))
                                .build())
                        .payload(ContentStreamProvider.fromByteArray(data))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                        .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, true));
        byte[] changed = data.clone();
        changed[changed.length - 10] ^= 1;
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).PUT(HttpRequest.BodyPublishers.ofByteArray(changed));
        signed.request().headers().forEach((name, values) -> {
            if (!RESTRICTED.contains(name.toLowerCase())) b.header(name, values.get(0));
        });
        HttpResponse<String> mismatch = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, mismatch.statusCode(), mismatch.body());
        assertTrue(mismatch.body().contains("<Code>XAmzContentSHA256Mismatch</Code>"), mismatch.body());
        assertNotStored("stripes-sha256");
    }

    /** A presigned PUT of {@code key}, valid for five minutes. */
    @Test
    void aBodyDeclaredOverFiveGibIsRefusedBeforeItIsSent() throws Exception {
        URI put = presignedPut("too-large");
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", put.getPort())) {
            socket.setSoTimeout(15_000);
            String head = "PUT " + put.getRawPath() + "?" + put.getRawQuery() + " HTTP/1.1\r\n"
                    + "Host: " + put.getHost() + ":" + put.getPort() + "\r\n"
                    + "Content-Length: " + ((5L << 30) + 1) + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(new byte[64 << 10]); // a start of the body, no more
            socket.getOutputStream().flush();
            StringBuilder answer = new StringBuilder();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[4096];
            for (int n; !answer.toString().contains("</Error>") && (n = in.read(buf)) > 0; ) {
                answer.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
            }
            assertTrue(answer.toString().startsWith("HTTP/1.1 400"), answer.toString());
            assertTrue(answer.toString().contains("<Code>EntityTooLarge</Code>"), answer.toString());
        }
        assertNotStored("too-large");
    }

    private static URI presignedPut(String key) throws Exception {
        return presigner
                .presignPutObject(p -> p.signatureDuration(Duration.ofMinutes(5))
                        .putObjectRequest(r -> r.bucket(BUCKET).key(key)))
                .url()
                .toURI();
    }

    private static void assertNotStored(String key) {
        S3Exception e = assertThrows(
                S3Exception.class, () -> s3.headObject(b -> b.bucket(BUCKET).key(key)));
        assertEquals(404, e.statusCode());
    }

    @Test
    void decodedLengthThatIsNoNumberIsAClientError() throws Exception {
        // found by the chaos fuzzer: this was a 500 (NumberFormatException); the SDK's signer refuses to sign it
        byte[] data = TestBytes.random(13, 5_000);
        HttpResponse<String> r =
                http.send(handSignedChunked("chunked-bad-length", data, "12x"), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("<Code>IncompleteBody</Code>"), r.body());
        S3Exception e = assertThrows(
                S3Exception.class, () -> s3.headObject(b -> b.bucket(BUCKET).key("chunked-bad-length")));
        assertEquals(404, e.statusCode());
    }

    /** A one-chunk aws-chunked PUT signed by testkit's signer, with whatever x-amz-decoded-content-length the test wants. */
    private static HttpRequest handSignedChunked(String key, byte[] data, String decodedLength) {
        URI uri = URI.create(cluster.endpoint() + "/" + BUCKET + "/" + key);
        SigV4Signer.Signed signed = new SigV4Signer(TestCluster.ACCESS_KEY, TestCluster.SECRET_KEY, TestCluster.REGION)
                .sign(
                        "PUT",
                        uri.getAuthority(),
                        uri.getRawPath(),
                        null,
                        Map.of("content-encoding", "aws-chunked", "x-amz-decoded-content-length", decodedLength),
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                        java.time.Instant.now());
        String first = signed.chunkSignature(signed.signature(), data);
        String last = signed.chunkSignature(first, new byte[0]);
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes((Integer.toHexString(data.length) + ";chunk-signature=" + first + "\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        body.writeBytes(data);
        body.writeBytes(
                ("\r\n0;chunk-signature=" + last + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        HttpRequest.Builder b =
                HttpRequest.newBuilder(uri).PUT(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        signed.headers().forEach((name, value) -> {
            if (!name.equalsIgnoreCase("host")) b.header(name, value); // java.net.http sets Host itself
        });
        return b.build();
    }

    /** A PUT whose aws-chunked body and headers come from the SDK's signer, optionally with one byte flipped. */
    private static HttpRequest chunked(String key, byte[] data, ChecksumAlgorithm trailer, boolean tamper)
            throws IOException {
        URI uri = URI.create(cluster.endpoint() + "/" + BUCKET + "/" + key);
        SdkHttpFullRequest unsigned = SdkHttpFullRequest.builder()
                .method(SdkHttpMethod.PUT)
                .uri(uri)
                .putHeader("Content-Length", String.valueOf(data.length))
                .build();
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> {
            r.identity(AwsBasicCredentials.create("minioadmin", "minioadmin"))
                    .request(unsigned)
                    .payload(ContentStreamProvider.fromByteArray(data))
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                    .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                    .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, true)
                    .putProperty(AwsV4HttpSigner.CHUNK_ENCODING_ENABLED, true);
            if (trailer != null) r.putProperty(AwsV4HttpSigner.CHECKSUM_ALGORITHM, trailer);
        });
        byte[] body;
        try (InputStream in = signed.payload().orElseThrow().newStream()) {
            body = in.readAllBytes();
        }
        if (tamper) body[body.length / 2] ^= 1;
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        signed.request().headers().forEach((name, values) -> {
            if (!RESTRICTED.contains(name.toLowerCase())) b.header(name, values.get(0));
        });
        return b.build();
    }
}
