package io.basalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A scenario's checking client retries a request whose connection is reset before any answer (as a keep-alive
 * connection the gateway closes for idling can be), and nothing else; the workload's client retries nothing.
 * Against a real socket server that resets or answers each connection as told.
 */
class CheckingClientTest {

    @Test
    void aResetBeforeAnyAnswerIsRetriedOnce() throws Exception {
        try (Server server = new Server(List.of(Server.RESET, Server.OK));
                S3Client s3 = Workload.checkingClient(server.endpoint())) {
            s3.headObject(b -> b.bucket("b").key("k"));
            assertEquals(2, server.requests.get());
        }
    }

    @Test
    void theWorkloadsClientDoesNotRetryAReset() throws Exception {
        try (Server server = new Server(List.of(Server.RESET, Server.OK));
                S3Client s3 = Workload.client(server.endpoint())) {
            assertThrows(
                    SdkClientException.class,
                    () -> s3.headObject(b -> b.bucket("b").key("k")));
            assertEquals(1, server.requests.get());
        }
    }

    @Test
    void anErrorAnswerIsNotRetried() throws Exception {
        try (Server server = new Server(List.of(Server.ERROR, Server.OK));
                S3Client s3 = Workload.checkingClient(server.endpoint())) {
            S3Exception e = assertThrows(
                    S3Exception.class, () -> s3.headObject(b -> b.bucket("b").key("k")));
            assertEquals(500, e.statusCode());
            assertEquals(1, server.requests.get());
        }
    }

    /** Serves one request per connection, the i-th connection as the i-th action says. */
    private static final class Server implements AutoCloseable {
        static final String RESET = "reset";
        static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nETag: \"e\"\r\nConnection: close\r\n\r\n";
        static final String ERROR =
                "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

        final AtomicInteger requests = new AtomicInteger();
        private final ServerSocket socket;
        private final Thread thread;

        Server(List<String> actions) throws IOException {
            socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            thread = Thread.ofPlatform().daemon().start(() -> {
                for (String action : actions) {
                    try (Socket s = socket.accept()) {
                        readHead(s.getInputStream());
                        requests.incrementAndGet();
                        if (action.equals(RESET)) {
                            s.setSoLinger(true, 0); // close sends RST, as a server dropping the connection does
                        } else {
                            s.getOutputStream().write(action.getBytes(StandardCharsets.US_ASCII));
                            s.getOutputStream().flush();
                        }
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            });
        }

        String endpoint() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        private static void readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                head.write(c);
                if (head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) return;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            thread.interrupt();
        }
    }
}
