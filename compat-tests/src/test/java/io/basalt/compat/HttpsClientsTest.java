package io.basalt.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.gateway.TestCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The real clients over HTTPS on the S3 port, trusting the cluster's CA as a user trusts a private CA:
 * SDK v2 (a trust manager), the aws CLI and boto3 ({@code AWS_CA_BUNDLE}), and minio-go as Milvus runs it
 * with {@code useSSL: true} ({@code SSL_CERT_FILE}). A client that does not trust the CA and a plaintext
 * request are both refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class HttpsClientsTest {

    @TempDir
    static Path tmp;

    TestCluster cluster;
    Map<String, String> awsEnv;

    @BeforeAll
    void start() throws Exception {
        Path dir = tmp.resolve("cluster");
        cluster = new TestCluster(
                dir, 6, 4, 2, gw -> TestCluster.withHttps(dir).apply(gw).withIoTimeoutMs(30_000));
        assertTrue(cluster.endpoint().startsWith("https://"), cluster.endpoint());
        awsEnv = AwsCliTest.env(tmp);
        awsEnv.put("AWS_CA_BUNDLE", cluster.caFile().toString());
    }

    @AfterAll
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void sdkV2TrustingTheCaRoundTripsAndOneThatDoesNotIsRefused() throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(11).nextBytes(data);
        try (S3Client s3 = cluster.client()) {
            s3.createBucket(b -> b.bucket("https-sdk"));
            s3.putObject(b -> b.bucket("https-sdk").key("k"), RequestBody.fromBytes(data));
            assertArrayEquals(
                    data,
                    s3.getObjectAsBytes(b -> b.bucket("https-sdk").key("k")).asByteArray());
        }
        // the JDK's own trust store does not hold the cluster's CA: the handshake fails, nothing is written
        try (S3Client untrusting =
                TestCluster.client(cluster.endpoint(), TestCluster.ACCESS_KEY, TestCluster.SECRET_KEY)) {
            SdkClientException e = assertThrows(
                    SdkClientException.class, () -> untrusting.createBucket(b -> b.bucket("https-untrusted")));
            assertTrue(causedBy(e, SSLHandshakeException.class), e.toString());
        }
        try (S3Client s3 = cluster.client()) {
            assertEquals(
                    List.of(),
                    s3.listBuckets().buckets().stream()
                            .map(b -> b.name())
                            .filter(n -> n.equals("https-untrusted"))
                            .toList());
        }
    }

    @Test
    void plaintextOnTheHttpsPortGetsNoS3Answer() {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String plain = cluster.endpoint().replace("https://", "http://") + "/minio/health/live";
        assertThrows(
                IOException.class,
                () -> http.send(
                        HttpRequest.newBuilder(URI.create(plain))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void awsCliWithTheCaBundle() throws Exception {
        Subprocess.requireExecutable(AwsCliTest.AWS, "awscli");
        Path file = tmp.resolve("cli-up.bin");
        byte[] data = new byte[9 << 20]; // above the CLI's 8 MiB multipart threshold: multipart over TLS too
        new Random(12).nextBytes(data);
        Files.write(file, data);
        aws("s3", "mb", "s3://https-cli").assertSuccess();
        aws("s3", "cp", file.toString(), "s3://https-cli/k").assertSuccess();
        Path back = tmp.resolve("cli-down.bin");
        aws("s3", "cp", "s3://https-cli/k", back.toString()).assertSuccess();
        assertArrayEquals(data, Files.readAllBytes(back));
    }

    @Test
    void boto3WithTheCaBundle() throws Exception {
        Subprocess.requireExecutable(Boto3Test.PYTHON, "python3-boto3");
        Path work = Files.createDirectories(tmp.resolve("boto3"));
        Subprocess.run(
                        List.of(Boto3Test.PYTHON, Boto3Test.SCRIPT.toString(), cluster.endpoint(), work.toString()),
                        awsEnv,
                        work,
                        Duration.ofMinutes(4))
                .assertSuccess();
    }

    @Test
    void minioGoAsMilvusWithUseSsl() throws Exception {
        MinioGoMilvusLikeTest.runProgram(
                        MinioGoMilvusLikeTest.buildProgram(),
                        cluster,
                        "https-milvus",
                        Map.of("SSL_CERT_FILE", cluster.caFile().toString()), // Go's roots on Linux
                        tmp)
                .assertSuccess();
    }

    private Subprocess.Result aws(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(AwsCliTest.AWS, "--endpoint-url", cluster.endpoint()));
        cmd.addAll(List.of(args));
        return Subprocess.run(cmd, awsEnv, tmp, Duration.ofMinutes(3));
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (; t != null; t = t.getCause()) if (type.isInstance(t)) return true;
        return false;
    }
}
