package io.basalt.bench;

import io.basalt.core.tls.ClusterTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * CPU seconds per GB of a stream of length-prefixed 256 KiB messages over Netty's {@code SslHandler} with the
 * cluster's TLS contexts and no HTTP/2 or gRPC above it: the middle rung between a bare TLS connection
 * ({@link TransportCost}) and the shard streams' gRPC ({@link GrpcStreamCost}), i.e. what a data path of its own on
 * Netty would cost. Both decoders read records and frames that span two reads from both buffers instead of merging
 * them, and the sender's SslHandler wraps up to 64 KiB at once (both public settings of a pipeline one builds).
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
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            SslHandler ssl = tls.serverContext().newHandler(ch.alloc());
                            ssl.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
                            var frames = new LengthFieldBasedFrameDecoder(2 * MESSAGE, 0, 4, 0, 4);
                            frames.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
                            ch.pipeline().addLast(ssl, frames, new Counter(bytes, received));
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
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            SslHandler ssl = tls.clientContext().newHandler(ch.alloc(), "127.0.0.1", port);
                            ssl.setWrapDataSize(64 << 10);
                            ssl.handshakeFuture().addListener(f -> {
                                if (f.isSuccess()) handshake.complete(null);
                                else handshake.completeExceptionally(f.cause());
                            });
                            ch.pipeline().addLast(ssl);
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
                ByteBuf m = channel.alloc().directBuffer(4 + MESSAGE);
                channel.write(m.writeInt(MESSAGE).writeBytes(payload));
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
            got += frame.readableBytes();
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
