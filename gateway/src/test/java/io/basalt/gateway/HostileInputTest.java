package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.PrometheusText;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Input the chaos fuzzer found stored or answered badly: each is refused with a 400 and stores nothing. */
class HostileInputTest {

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension("hostile");

    @Test
    void keysXmlCannotCarryAreRefusedAndListingStillWorks() {
        for (String key : new String[] {"nul\u0000key", "bell\u0007key"}) {
            S3Exception e = assertThrows(
                    S3Exception.class,
                    () -> env.s3().putObject(b -> b.bucket("hostile").key(key), RequestBody.fromString("x")));
            assertEquals(400, e.statusCode(), key);
            assertEquals("InvalidArgument", e.awsErrorDetails().errorCode(), key);
        }
        env.s3().putObject(b -> b.bucket("hostile").key("tab\tand\nnewline"), RequestBody.fromString("fine"));
        // a stored NUL key made this LIST unparseable for the SDK
        assertEquals(
                1,
                env.s3().listObjectsV2(b -> b.bucket("hostile")).contents().stream()
                        .filter(o -> o.key().equals("tab\tand\nnewline"))
                        .count());
    }

    @Test
    void pathsThatAreNotUtf8OrBadlyEscapedAreInvalidUri() throws Exception {
        for (String raw : new String[] {"overlong%C0%AF", "stray%FF%FE"}) {
            HttpResponse<String> r =
                    SignedHttp.send("PUT", URI.create(env.cluster().endpoint() + "/hostile/" + raw));
            assertEquals(400, r.statusCode(), raw + ": " + r.body());
            assertTrue(r.body().contains("<Code>InvalidURI</Code>"), r.body());
        }
        // java.net.URI refuses these itself: the path is parsed (and refused) before authentication
        for (String raw : new String[] {"bad%zzescape", "cut%4"}) {
            try (java.net.Socket s =
                    new java.net.Socket("127.0.0.1", env.cluster().gateway.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream()
                        .write(("GET /hostile/" + raw + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                // Undertow refuses some itself (a bare 400), the gateway the rest
                assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
            }
        }
        assertEquals(
                0,
                env.s3()
                        .listObjectsV2(b -> b.bucket("hostile").prefix("overlong"))
                        .keyCount());
    }

    @Test
    void userMetadataPastTwoKilobytesIsRefused() throws Exception {
        long shardsBefore = storedShards();
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .putObject(
                                b -> b.bucket("hostile").key("meta").metadata(Map.of("big", "m".repeat(2100))),
                                RequestBody.fromString("x")));
        assertEquals(400, e.statusCode());
        assertEquals("MetadataTooLarge", e.awsErrorDetails().errorCode());
        // refused before the body was stored (ObjectHeaders.checkSize): no shard stays, no body memory is held
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (storedShards() > shardsBefore && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(storedShards() <= shardsBefore, "the refused PUT's shards stayed");
        assertEquals(
                0,
                PrometheusText.parse(env.cluster().gateway.metrics().render())
                        .value("basalt_gateway_body_memory_bytes"),
                "body memory still held");
        assertEquals(
                404,
                assertThrows(
                                S3Exception.class,
                                () -> env.s3()
                                        .headObject(b -> b.bucket("hostile").key("meta")))
                        .statusCode());
        e = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .createMultipartUpload(
                                b -> b.bucket("hostile").key("meta").metadata(Map.of("big", "m".repeat(2100)))));
        assertEquals("MetadataTooLarge", e.awsErrorDetails().errorCode());
        env.s3()
                .putObject(
                        b -> b.bucket("hostile").key("meta").metadata(Map.of("small", "m".repeat(1000))),
                        RequestBody.fromString("x"));
    }

    private static long storedShards() throws java.io.IOException {
        long n = 0;
        for (int i = 0; i < 6; i++) n += env.cluster().shards(i).size();
        return n;
    }
}
