package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.TestBytes;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A stopping gateway (SIGTERM in a rolling update) lets the uploads it is serving finish and turns
 * new requests away with 503, which S3 clients retry on another gateway.
 */
class GracefulShutdownTest {

    @TempDir
    Path dir;

    @Test
    void anUploadInFlightFinishesAndNewRequestsGet503() throws Exception {
        byte[] body = TestBytes.random(21, 3 * 1024 * 1024);
        try (TestCluster c = new TestCluster(dir, 6, 4, 2, g -> g.withShutdownGrace(Duration.ofSeconds(30)));
                S3Client s3 = c.client()) {
            s3.createBucket(b -> b.bucket("drain"));
            URI uri = URI.create(c.endpoint() + "/drain/in-flight");
            CompletableFuture<Void> closed;
            String status;
            try (Socket socket = new Socket("127.0.0.1", c.gateway.port())) {
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                out.write(SignedHttp.putHead(uri, body.length).getBytes(StandardCharsets.US_ASCII));
                out.write(body, 0, body.length / 2);
                out.flush();
                Thread.sleep(500); // the gateway is now streaming the first half to the nodes

                closed = CompletableFuture.runAsync(c.gateway::close);
                Thread.sleep(500);
                assertFalse(closed.isDone(), "close waits for the upload in flight");
                assertEquals(
                        503,
                        SignedHttp.send("GET", URI.create(c.endpoint() + "/drain/in-flight"))
                                .statusCode(),
                        "a new request while draining");

                out.write(body, body.length / 2, body.length - body.length / 2);
                out.flush();
                status = statusLine(socket.getInputStream());
            }
            assertTrue(status.startsWith("HTTP/1.1 200"), status);
            closed.get(30, TimeUnit.SECONDS);

            // What was acknowledged is there, read through a new gateway on the same cluster.
            try (Gateway next = Gateway.start(
                    GatewayConfig.local(0, c.etcd.endpoint(), 4, 2).withClusterTls(c.tls))) {
                awaitLive(next, 6);
                try (S3Client s3b = TestCluster.client("http://127.0.0.1:" + next.port(), "minioadmin", "minioadmin")) {
                    assertArrayEquals(
                            body,
                            s3b.getObjectAsBytes(b -> b.bucket("drain").key("in-flight"))
                                    .asByteArray());
                }
            }
        }
    }

    private static void awaitLive(Gateway g, int nodes) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (g.membership().live().size() < nodes && System.nanoTime() < deadline) Thread.sleep(50);
    }

    private static String statusLine(InputStream in) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        for (int ch; (ch = in.read()) != -1 && ch != '\n'; ) if (ch != '\r') line.append((char) ch);
        return line.toString();
    }
}
