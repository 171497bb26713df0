package io.basalt.core.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.meta.NodeRecord;
import io.grpc.Status;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A data port that closes each connection as soon as it is made (as a node refusing the caller's certificate does
 * just after a TLS 1.3 handshake) fails every stream at once as unreachable, whether the close is seen before or
 * after the stream's first frame is written: a stream put on an already closed connection once waited out its
 * reader's whole idle timeout. And connections are spread over the event loops.
 */
class DataConnectionsTest {

    @Test
    void aConnectionClosedAtOnceFailsTheStreamAtOnce() throws Exception {
        try (ServerSocket closer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                ShardClients clients = new ShardClients()) {
            serve(closer, s -> {
                try {
                    s.close(); // closed on accept
                } catch (java.io.IOException e) {
                    // closed anyway
                }
            });
            NodeRecord node = nodeAt(closer);
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

    /**
     * Connections opened for streams in flight at once are spread over the event loops: each stream's frames arrive
     * on its connection's loop, and every arrival runs its reader's callback there. Choosing a loop for a
     * connection's promise and another for its channel once put all of them on one loop of two, which then did all
     * of a gateway's TLS.
     */
    @Test
    void concurrentConnectionsAreSpreadOverTheEventLoops() throws Exception {
        int streams = 8;
        CountDownLatch asked = new CountDownLatch(streams);
        try (ServerSocket node = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                ShardClients clients = new ShardClients()) {
            List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
            serve(node, s -> {
                accepted.add(s);
                Thread.ofVirtual().start(() -> endAfterAll(s, asked));
            });
            NodeRecord record = nodeAt(node);
            Set<String> loops = ConcurrentHashMap.newKeySet();
            List<RemoteShardReader> readers = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                readers.add(RemoteShardReader.open(
                        clients,
                        record,
                        "s" + i,
                        0,
                        0,
                        10_000,
                        2,
                        () -> loops.add(Thread.currentThread().getName())));
            }
            for (RemoteShardReader r : readers) {
                r.answered().get(10, TimeUnit.SECONDS);
                r.close();
            }
            int group = Math.max(2, Runtime.getRuntime().availableProcessors()); // as DataFrames.eventLoops()
            assertEquals(
                    Math.min(streams, group),
                    loops.size(),
                    "the loops the " + streams + " streams' frames arrived on: " + loops);
            for (Socket s : accepted) s.close();
        }
    }

    /** Hands each connection {@code server} accepts to {@code each}, on a virtual thread, until it is closed. */
    private static void serve(ServerSocket server, java.util.function.Consumer<Socket> each) {
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    each.accept(server.accept());
                } catch (java.io.IOException e) {
                    return;
                }
            }
        });
    }

    private static NodeRecord nodeAt(ServerSocket server) {
        String address = "127.0.0.1:" + server.getLocalPort();
        return NodeRecord.newBuilder()
                .setNodeId("n")
                .setAddress(address)
                .setDataAddress(address)
                .build();
    }

    /** Reads one READ frame, waits until every stream has asked, and ends the stream (an empty range). */
    private static void endAfterAll(Socket s, CountDownLatch asked) {
        try {
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertEquals(DataFrames.READ, in.readByte());
            in.readFully(new byte[in.readInt()]);
            asked.countDown();
            asked.await(10, TimeUnit.SECONDS);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeByte(DataFrames.END);
            out.writeInt(0);
            out.flush();
        } catch (Exception e) {
            // the test fails on the reader's side
        }
    }
}
