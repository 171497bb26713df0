package io.basalt.bench;

import io.basalt.core.shard.ShardClients;
import io.basalt.core.tls.ClusterTls;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Detachable;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * CPU seconds per GB that one server-streaming gRPC call costs each end over the cluster's TLS, as the cluster
 * runs it (grpc-netty, the JDK's TLS, the shard channels' 1 MiB flow-control window, 256 KiB messages copied once
 * into the transport by the sender and taken as views of the transport's buffers by the receiver, as a ReadShard
 * is): the internal transport's own cost, set beside what a bare TLS connection costs ({@link TransportCost}).
 * Each end runs on its own event loop and application thread, and each end's CPU is the sum of its threads'.
 */
final class GrpcStreamCost {
    private static final int MESSAGE = TransportCost.WRITE;
    private static final MethodDescriptor<Long, Integer> READ = MethodDescriptor.<Long, Integer>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName("basalt.bench.Stream/Read")
            .setRequestMarshaller(new CountMarshaller())
            .setResponseMarshaller(new ChunkMarshaller())
            .build();

    private GrpcStreamCost() {}

    static TransportCost.Cost measure(long totalBytes, ClusterTls tls) throws Exception {
        int message = MESSAGE, window = ShardClients.FLOW_CONTROL_WINDOW;
        long messages = Math.max(1, totalBytes / message);
        NioEventLoopGroup serverLoop = new NioEventLoopGroup(1, new DefaultThreadFactory("bench-send-loop"));
        NioEventLoopGroup clientLoop = new NioEventLoopGroup(1, new DefaultThreadFactory("bench-receive-loop"));
        ExecutorService serverApp = Executors.newSingleThreadExecutor(r -> new Thread(r, "bench-send-app"));
        ExecutorService clientApp = Executors.newSingleThreadExecutor(r -> new Thread(r, "bench-receive-app"));
        Server server = null;
        ManagedChannel channel = null;
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .channelType(NioServerSocketChannel.class)
                    .bossEventLoopGroup(serverLoop)
                    .workerEventLoopGroup(serverLoop)
                    .executor(serverApp)
                    .sslContext(tls.serverContext())
                    .flowControlWindow(window)
                    .addService(ServerServiceDefinition.builder("basalt.bench.Stream")
                            .addMethod(READ, new Sender(message))
                            .build())
                    .build()
                    .start();
            channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
                    .channelType(NioSocketChannel.class)
                    .eventLoopGroup(clientLoop)
                    .executor(clientApp)
                    .sslContext(tls.clientContext())
                    .flowControlWindow(window)
                    .maxInboundMessageSize(2 * MESSAGE)
                    .build();
            read(channel, 64, message); // connects, and runs every path once before the counted call
            long send = TransportCost.threadCpu("bench-send-"), receive = TransportCost.threadCpu("bench-receive-");
            read(channel, messages, message);
            send = TransportCost.threadCpu("bench-send-") - send;
            receive = TransportCost.threadCpu("bench-receive-") - receive;
            double gb = messages * (double) message / 1e9;
            return new TransportCost.Cost(send / 1e9 / gb, receive / 1e9 / gb);
        } finally {
            if (channel != null) channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            if (server != null) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            serverLoop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            clientLoop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            serverApp.shutdownNow();
            clientApp.shutdownNow();
        }
    }

    /** One call for {@code messages} messages, asking for more as each arrives (a 4-message window, as a reader's). */
    private static void read(ManagedChannel channel, long messages, int message) throws Exception {
        CompletableFuture<Long> done = new CompletableFuture<>();
        ClientCall<Long, Integer> call = channel.newCall(READ, CallOptions.DEFAULT);
        call.start(
                new ClientCall.Listener<>() {
                    long bytes;

                    @Override
                    public void onMessage(Integer length) {
                        bytes += length;
                        call.request(1);
                    }

                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        if (status.isOk()) done.complete(bytes);
                        else done.completeExceptionally(status.asException());
                    }
                },
                new Metadata());
        call.request(4);
        call.sendMessage(messages);
        call.halfClose();
        long bytes = done.get(10, TimeUnit.MINUTES);
        if (bytes != messages * message) throw new IOException("received " + bytes + " of " + messages * message);
    }

    /** Sends the asked number of messages of one array while the transport is ready, as a node's ChunkSender does. */
    private static final class Sender implements ServerCallHandler<Long, Integer> {
        private final int message;

        Sender(int message) {
            this.message = message;
        }

        @Override
        public ServerCall.Listener<Long> startCall(ServerCall<Long, Integer> call, Metadata headers) {
            call.sendHeaders(new Metadata());
            call.request(1);
            return new ServerCall.Listener<>() {
                long left = -1;

                @Override
                public void onMessage(Long messages) {
                    left = messages;
                    onReady();
                }

                @Override
                public void onReady() {
                    while (left > 0 && call.isReady()) {
                        call.sendMessage(message);
                        left--;
                    }
                    if (left == 0) {
                        left = -1;
                        call.close(Status.OK, new Metadata());
                    }
                }
            };
        }
    }

    /** A request is the number of messages wanted. */
    private static final class CountMarshaller implements MethodDescriptor.Marshaller<Long> {
        @Override
        public InputStream stream(Long value) {
            return new ByteArrayInputStream(
                    ByteBuffer.allocate(8).putLong(value).array());
        }

        @Override
        public Long parse(InputStream in) {
            try {
                return ByteBuffer.wrap(in.readNBytes(8)).getLong();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * A response is sent as a stream over the sender's chunk (the transport copies it once into its buffers), and
     * received by detaching the transport's buffers and giving them back, without copying: its length is all the
     * receiver keeps.
     */
    private static final class ChunkMarshaller implements MethodDescriptor.Marshaller<Integer> {
        private static final byte[] CHUNK = new byte[MESSAGE];

        static {
            new SplittableRandom(13).nextBytes(CHUNK);
        }

        @Override
        public InputStream stream(Integer length) {
            return new Chunk(length);
        }

        /** Known length and drained in one write, as a protobuf message's stream is. */
        private static final class Chunk extends ByteArrayInputStream implements KnownLength, Drainable {
            Chunk(int length) {
                super(CHUNK, 0, length);
            }

            @Override
            public int drainTo(OutputStream target) throws IOException {
                int n = count - pos;
                target.write(buf, pos, n);
                pos = count;
                return n;
            }
        }

        @Override
        public Integer parse(InputStream in) {
            try (InputStream held = in instanceof Detachable d ? d.detach() : in) {
                int n = held.available();
                if (held.skip(n) != n) throw new IOException("message shorter than it said");
                return n;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
