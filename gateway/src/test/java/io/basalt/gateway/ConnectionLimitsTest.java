package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What one client can take of a gateway: connections, and the time to send a request head. */
class ConnectionLimitsTest {

    @TempDir
    static Path dir;

    static TestCluster cluster;

    /** I/O timeout 1.5 s: heads must be complete within 3 s; at most 3 connections. */
    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2, g -> g.withIoTimeoutMs(1_500).withMaxConnections(3));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void beyondTheCapAConnectionWaitsUntilAnotherCloses() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) held.add(new Socket("127.0.0.1", cluster.port()));
            Thread.sleep(200); // let the gateway accept all three
            try (Socket fourth = new Socket("127.0.0.1", cluster.port())) { // queued by the kernel, not accepted
                fourth.setSoTimeout(1_000);
                fourth.getOutputStream().write(liveProbe());
                org.junit.jupiter.api.Assertions.assertThrows(
                        SocketTimeoutException.class,
                        () -> fourth.getInputStream().read(),
                        "answered past the cap");
                held.removeFirst().close();
                fourth.setSoTimeout(10_000);
                assertTrue(statusLine(fourth.getInputStream()).startsWith("HTTP/1.1 200"), "served once one closed");
            }
        } finally {
            for (Socket s : held) s.close();
        }
    }

    @Test
    void aHeadTrickledSlowerThanTheTimeoutIsCutOff() throws Exception {
        byte[] head = liveProbe();
        try (Socket socket = new Socket("127.0.0.1", cluster.port())) {
            socket.setSoTimeout(500);
            long start = System.nanoTime();
            boolean closed = false;
            // a byte every 500 ms: never idle for the 3 s read timeout, yet the head takes 20 s
            for (int i = 0; i < head.length - 2 && !closed; i++) {
                try {
                    socket.getOutputStream().write(head[i]);
                    socket.getOutputStream().flush();
                    closed = socket.getInputStream().read() == -1;
                } catch (SocketTimeoutException e) {
                    // nothing from the server yet: go on trickling
                } catch (IOException e) {
                    closed = true; // reset
                }
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(closed, "the server never closed the connection");
            assertTrue(ms < 10_000, "cut off after " + ms + " ms");
        }
    }

    private static byte[] liveProbe() {
        return ("GET /minio/health/live HTTP/1.1\r\nHost: 127.0.0.1:" + cluster.port() + "\r\nX-Pad: " + "p".repeat(60)
                        + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != -1 && c != '\n'; ) line.append((char) c);
        return line.toString().trim();
    }
}
