package io.basalt.bench;

import io.basalt.core.shard.DataFrames;
import io.basalt.core.tls.ClusterTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * CPU seconds per GB of a stream of 256 KiB DATA frames over the storage nodes' data-port pipeline
 * ({@code DataFrames}: Netty's {@code SslHandler} with the data ports' TLS contexts, BoringSSL where it loads,
 * composite cumulators, 64 KiB wraps, the pooled allocator), no HTTP/2 or gRPC above it: the
 * middle rung between a bare TLS connection ({@link TransportCost}) and a gRPC shard stream
 * ({@link GrpcStreamCost}), and what the data port's transport costs without a cluster around it. Each message is
 * copied once into its frame on the sending thread, as the data port's writers copy a chunk.
 */
final class NettyStreamCost {
    private static final int MESSAGE = TransportCost.WRITE;

    private NettyStreamCost() {}

    static TransportCost.Cost measure(long totalBytes, ClusterTls tls) throws Exception {
        long bytes = Math.max(1, totalBytes / MESSAGE) * MESSAGE;
        NioEventLoopGroup receiving = new NioEventLoopGroup(1, new DefaultThreadFactory("bench-netty-receive"));
        NioEventLoopGroup sending = new NioEventLoopGroup(1, new DefaultThreadFactory("bench-netty-send"));
        try {
            CompletableFuture<Long> received = new CompletableFuture<>();
            Channel server = new ServerBootstrap()
                    .group(receiving)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.ALLOCATOR, DataFrames.ALLOCATOR)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            DataFrames.framing(
                                    ch.pipeline(),
                                    tls.dataServerContext().newHandler(ch.alloc()),
                                    DataFrames.MAX_DATA_BYTES);
                            ch.pipeline().addLast(new Counter(bytes, received));
                        }
                    })
                    .bind("127.0.0.1", 0)
                    .sync()
                    .channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            CompletableFuture<Void> handshake = new CompletableFuture<>();
            Channel client = new Bootstrap()
                    .group(sending)
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.ALLOCATOR, DataFrames.ALLOCATOR)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            SslHandler ssl = tls.dataClientContext().newHandler(ch.alloc(), "127.0.0.1", port);
                            ssl.handshakeFuture().addListener(f -> {
                                if (f.isSuccess()) handshake.complete(null);
                                else handshake.completeExceptionally(f.cause());
                            });
                            DataFrames.framing(ch.pipeline(), ssl, DataFrames.MAX_DATA_BYTES);
                        }
                    })
                    .connect("127.0.0.1", port)
                    .sync()
                    .channel();
            try {
                handshake.get(30, TimeUnit.SECONDS); // not counted: a connection is set up once per peer
                long send = TransportCost.threadCpu("bench-netty-send"),
                        receive = TransportCost.threadCpu("bench-netty-receive");
                Sender sender = new Sender(client, bytes);
                client.pipeline().addLast(sender);
                client.eventLoop().execute(sender::pump);
                long got = received.get(10, TimeUnit.MINUTES);
                send = TransportCost.threadCpu("bench-netty-send") - send;
                receive = TransportCost.threadCpu("bench-netty-receive") - receive;
                if (got != bytes) throw new IOException("received " + got + " of " + bytes + " bytes");
                double gb = bytes / 1e9;
                return new TransportCost.Cost(send / 1e9 / gb, receive / 1e9 / gb);
            } finally {
                client.close().sync();
                server.close().sync();
            }
        } finally {
            receiving.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            sending.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * Writes messages while the channel is writable, each copied once into a pooled direct buffer (as grpc's
     * framer copies a message into the transport), and again whenever the channel drains.
     */
    private static final class Sender extends ChannelInboundHandlerAdapter {
        private final Channel channel;
        private final long bytes;
        private final byte[] payload = new byte[MESSAGE];
        private long sent;

        Sender(Channel channel, long bytes) {
            this.channel = channel;
            this.bytes = bytes;
            new SplittableRandom(17).nextBytes(payload);
        }

        void pump() {
            while (sent < bytes && channel.isWritable()) {
                int frame = DataFrames.OFFSET_BYTES + MESSAGE;
                channel.write(DataFrames.header(DataFrames.DATA, frame, DataFrames.HEADER_BYTES + frame)
                        .writeLong(sent)
                        .writeBytes(payload));
                sent += MESSAGE;
            }
            channel.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) pump();
            ctx.fireChannelWritabilityChanged();
        }
    }

    /** Counts the payload bytes of the frames received and completes when all have come. */
    private static final class Counter extends ChannelInboundHandlerAdapter {
        private final long expected;
        private final CompletableFuture<Long> done;
        private long got;

        Counter(long expected, CompletableFuture<Long> done) {
            this.expected = expected;
            this.done = done;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            got += frame.readableBytes() - DataFrames.HEADER_BYTES - DataFrames.OFFSET_BYTES;
            frame.release();
            if (got >= expected) done.complete(got);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            done.completeExceptionally(cause);
            ctx.close();
        }
    }
}
