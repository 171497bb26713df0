package io.basalt.core.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.meta.NodeRecord;
import io.grpc.Status;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A data port that closes each connection as soon as it is made (as a node refusing the caller's certificate does
 * just after a TLS 1.3 handshake) fails every stream at once as unreachable, whether the close is seen before or
 * after the stream's first frame is written: a stream put on an already closed connection once waited out its
 * reader's whole idle timeout.
 */
class DataConnectionsTest {

    @Test
    void aConnectionClosedAtOnceFailsTheStreamAtOnce() throws Exception {
        try (ServerSocket closer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                ShardClients clients = new ShardClients()) {
            Thread.ofVirtual().start(() -> {
                while (!closer.isClosed()) {
                    try (Socket s = closer.accept()) {
                        // closed on accept
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            String address = "127.0.0.1:" + closer.getLocalPort();
            NodeRecord node = NodeRecord.newBuilder()
                    .setNodeId("closer")
                    .setAddress(address)
                    .setDataAddress(address)
                    .build();
            for (int i = 0; i < 40; i++) {
                long start = System.nanoTime();
                ShardReadException e = assertThrows(ShardReadException.class, () -> {
                    try (RemoteShardReader in = RemoteShardReader.open(clients, node, "s", 0, 10, 10_000, 2)) {
                        in.readFully(new byte[10], 10);
                    }
                });
                assertEquals(
                        Status.Code.UNAVAILABLE,
                        Status.fromThrowable(e.getCause()).getCode(),
                        e.toString());
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(ms < 5_000, "failed after " + ms + " ms, not at once");
            }
        }
    }
}
