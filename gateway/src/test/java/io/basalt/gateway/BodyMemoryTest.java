package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.testkit.TestBytes;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The gateway's budget of request-body memory: a write reserves two stripes before it reads its
 * body; while the budget is spent others wait, and past the wait answer 503 SlowDown, having
 * stored nothing. Here the budget is exactly one large write's share (2+1, 1 MiB blocks: 3 MiB).
 */
class BodyMemoryTest {

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 3, 2, 1, g -> g.withBodyMemoryBytes(3L << 20));
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket("bodies"));
    }

    @AfterAll
    static void stop() {
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void writesPastTheBudgetWaitThenSlowDownAndStoreNothing() throws Exception {
        byte[] big = TestBytes.random(1, 8 << 20);
        URI uri = URI.create(cluster.endpoint() + "/bodies/holder");
        try (Socket holder = new Socket("127.0.0.1", cluster.port())) {
            OutputStream out = holder.getOutputStream();
            out.write(SignedHttp.putHead(uri, big.length).getBytes(StandardCharsets.US_ASCII));
            out.write(big, 0, 1 << 20); // the write has its share and waits for the rest of its body
            out.flush();
            Thread.sleep(300);

            for (int size : new int[] {2 << 20, 100}) {
                S3Exception e = assertThrows(
                        S3Exception.class,
                        () -> s3.putObject(
                                b -> b.bucket("bodies").key("refused-" + size),
                                RequestBody.fromBytes(java.util.Arrays.copyOf(big, size))));
                assertEquals(503, e.statusCode(), size + " bytes");
                assertEquals("SlowDown", e.awsErrorDetails().errorCode(), size + " bytes");
                S3Exception absent = assertThrows(
                        S3Exception.class,
                        () -> s3.headObject(b -> b.bucket("bodies").key("refused-" + size)));
                assertEquals(404, absent.statusCode(), "a refused write stored nothing");
            }

            out.write(big, 1 << 20, big.length - (1 << 20));
            out.flush();
            InputStream in = holder.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 200", status, "the write holding the budget completes");
        }
        // its share is back: the next write is admitted (a budget still held would answer SlowDown)
        byte[] after = TestBytes.random(2, 2 << 20);
        s3.putObject(b -> b.bucket("bodies").key("after"), RequestBody.fromBytes(after));
        assertArrayEquals(
                after, s3.getObjectAsBytes(b -> b.bucket("bodies").key("after")).asByteArray());
        assertArrayEquals(
                big, s3.getObjectAsBytes(b -> b.bucket("bodies").key("holder")).asByteArray());
    }
}
