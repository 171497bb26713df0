package io.basalt.core.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.protobuf.ByteString;
import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ReadShardResponse;
import io.basalt.proto.shard.ShardServiceGrpc;
import io.grpc.ConnectivityState;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A closed reader's call ends, so the transport lets go of the messages it received for it: also
 * when the connection closed before the reader did, which drops the reader's cancel on the way.
 * A call that never ended kept up to a flow-control window of pooled direct memory; a coordinator
 * that lost connections to direct-memory errors while healing ratcheted its pool full that way.
 */
class RemoteShardReaderTest {

    private static final int MESSAGE = 64 << 10;
    private static final int MESSAGES = 12; // 768 KiB: all of it fits the stream's 1 MiB window

    private Server server;
    private ShardClients clients;
    private String address;

    /** Sends a whole range at once, ignoring the reader's grants: what flow control lets in waits in the call. */
    private static final class EagerShards extends ShardServiceGrpc.ShardServiceImplBase {
        @Override
        public void readShard(ReadShardRequest request, StreamObserver<ReadShardResponse> out) {
            for (int i = 0; i < MESSAGES; i++) {
                out.onNext(ReadShardResponse.newBuilder()
                        .setOffset((long) i * MESSAGE)
                        .setData(ByteString.copyFrom(message(i)))
                        .build());
            }
            // never completes: the call stays open until the client cancels or the connection goes
        }
    }

    private static byte[] message(int i) {
        byte[] b = new byte[MESSAGE];
        Arrays.fill(b, (byte) i);
        return b;
    }

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new EagerShards())
                .build()
                .start();
        address = "127.0.0.1:" + server.getPort();
        clients = new ShardClients();
    }

    @AfterEach
    void stop() throws Exception {
        clients.close();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private RemoteShardReader openAndTakeOne() throws Exception {
        RemoteShardReader in =
                RemoteShardReader.open(clients, "n1", address, "s", 0, (long) MESSAGES * MESSAGE, 10_000, 1);
        byte[] first = new byte[MESSAGE];
        in.readFully(first, MESSAGE);
        assertArrayEquals(message(0), first);
        return in;
    }

    @Test
    void closingEndsTheCall() throws Exception {
        RemoteShardReader in = openAndTakeOne();
        in.close();
        in.callEnded().get(5, TimeUnit.SECONDS);
    }

    @Test
    void closingEndsTheCallAfterItsConnectionClosed() throws Exception {
        RemoteShardReader in = openAndTakeOne();
        Thread.sleep(200); // the rest of the range arrives and waits in the call, beyond the reader's grant
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (clients.channel(address).getState(false) == ConnectivityState.READY && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertNotEquals(ConnectivityState.READY, clients.channel(address).getState(false), "connection closed");
        Thread.sleep(200); // the transport's pipeline is taken down after the connection closes
        in.close();
        in.callEnded().get(5, TimeUnit.SECONDS);
    }
}
