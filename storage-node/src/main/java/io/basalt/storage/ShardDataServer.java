package io.basalt.storage;

import io.basalt.core.shard.DataFrames;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.shard.ReadShardRequest;
import io.grpc.StatusRuntimeException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The node's data port: ReadShard as {@link DataFrames} over mutual TLS with the cluster's certificates (the
 * same as its gRPC port; a caller without one never gets past the handshake), without HTTP/2 or gRPC between.
 * One stream at a time per connection; the chunks are read and sent by a {@link ChunkSender} off the event
 * loop, only while the connection is writable.
 */
final class ShardDataServer implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(ShardDataServer.class);

    /** Unsent bytes a connection may hold before its sender waits: four 256 KiB chunks. */
    private static final WriteBufferWaterMark UNSENT = new WriteBufferWaterMark(512 << 10, 1 << 20);

    private final EventLoopGroup group;
    private final ExecutorService senders;
    private final Channel server;
    private final AtomicInteger accepted;

    private ShardDataServer(EventLoopGroup group, ExecutorService senders, Channel server, AtomicInteger accepted) {
        this.group = group;
        this.senders = senders;
        this.server = server;
        this.accepted = accepted;
    }

    /** Listens on {@code host:port} (0: a free port); {@code tls} null serves plaintext. */
    static ShardDataServer start(String host, int port, ClusterTls tls, ShardStore store, NodeMetrics metrics)
            throws IOException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(
                Math.max(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("shard-data-io", true),
                NioIoHandler.newFactory());
        // Senders read the disk, which may hang: never on an event loop. One thread per stream while it sends.
        AtomicInteger count = new AtomicInteger();
        ExecutorService senders = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "shard-read-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        AtomicInteger accepted = new AtomicInteger();
        try {
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, UNSENT)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            accepted.incrementAndGet();
                            DataFrames.framing(
                                    ch.pipeline(),
                                    tls == null ? null : tls.serverContext().newHandler(ch.alloc()),
                                    DataFrames.MAX_REQUEST_BYTES);
                            ch.pipeline().addLast(new Streams(store, metrics, senders));
                        }
                    })
                    .bind(host, port)
                    .syncUninterruptibly()
                    .channel();
            return new ShardDataServer(group, senders, server, accepted);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            senders.shutdownNow();
            throw new IOException("cannot listen for shard data on " + host + ":" + port + ": " + e, e);
        }
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Connections accepted so far: callers pool theirs, so few. */
    int connectionsAccepted() {
        return accepted.get();
    }

    /** Stops listening and closes every connection: streams still sending are cancelled. */
    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        senders.shutdown();
    }

    /** One connection: takes READ frames, one stream at a time. */
    private static final class Streams extends ChannelInboundHandlerAdapter {
        private final ShardStore store;
        private final NodeMetrics metrics;
        private final ExecutorService senders;
        private volatile Outlet active; // the stream being sent, until its last frame is written

        Streams(ShardStore store, NodeMetrics metrics, ExecutorService senders) {
            this.store = store;
            this.metrics = metrics;
            this.senders = senders;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            ReadShardRequest request;
            try {
                int at = frame.readerIndex();
                if (frame.getByte(at) != DataFrames.READ || active != null) {
                    log.warn(
                            "data port: {} sent a frame out of turn; closing",
                            ctx.channel().remoteAddress());
                    ctx.close();
                    return;
                }
                request = ReadShardRequest.parseFrom(
                        frame.nioBuffer(at + DataFrames.HEADER_BYTES, frame.readableBytes() - DataFrames.HEADER_BYTES));
            } catch (IOException e) {
                log.warn(
                        "data port: unreadable request from {}; closing",
                        ctx.channel().remoteAddress());
                ctx.close();
                return;
            } finally {
                frame.release();
            }
            Outlet out = new Outlet(ctx.channel(), this);
            active = out;
            senders.execute(() -> ChunkSender.serve(store, metrics, request, out));
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Outlet out = active;
            if (out != null && ctx.channel().isWritable()) out.ready();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Outlet out = active;
            if (out != null) out.cancelled();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a caller without the cluster's certificate ends here, at its handshake
            log.debug("data port: connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        void ended(Outlet out) {
            if (active == out) active = null;
        }
    }

    /** One stream's frames onto its connection; the stream ends for the connection at its last frame. */
    private static final class Outlet implements ChunkOutlet {
        private final Channel channel;
        private final Streams streams;
        private Runnable onReady;
        private Runnable onCancel; // guarded by this
        private boolean cancelled; // guarded by this
        private boolean ended; // only the sender touches it

        Outlet(Channel channel, Streams streams) {
            this.channel = channel;
            this.streams = streams;
        }

        @Override
        public boolean isReady() {
            return channel.isWritable();
        }

        @Override
        public void onReady(Runnable task) {
            onReady = task;
        }

        void ready() {
            Runnable r = onReady;
            if (r != null) streams.senders.execute(r);
        }

        @Override
        public void onCancel(Runnable task) {
            boolean now;
            synchronized (this) {
                onCancel = task;
                now = cancelled;
            }
            if (now) streams.senders.execute(task);
        }

        void cancelled() {
            Runnable r;
            synchronized (this) {
                cancelled = true;
                r = onCancel;
            }
            if (r != null) streams.senders.execute(r);
        }

        @Override
        public void send(long offset, ByteBuffer first, ByteBuffer second, boolean last) {
            int length = first.remaining() + (second == null ? 0 : second.remaining());
            int payload = DataFrames.OFFSET_BYTES + length;
            ByteBuf frame = DataFrames.header(
                    channel.alloc(),
                    last ? DataFrames.LAST : DataFrames.DATA,
                    payload,
                    DataFrames.HEADER_BYTES + payload);
            frame.writeLong(offset).writeBytes(first.duplicate());
            if (second != null) frame.writeBytes(second.duplicate());
            if (last) end();
            channel.writeAndFlush(frame, channel.voidPromise());
        }

        @Override
        public void complete() {
            if (ended) return; // the last data frame said so
            end();
            channel.writeAndFlush(DataFrames.header(channel.alloc(), DataFrames.END, 0, 0), channel.voidPromise());
        }

        @Override
        public void fail(StatusRuntimeException status) {
            end();
            String description = status.getStatus().getDescription();
            byte[] text = (description == null ? "" : description).getBytes(StandardCharsets.UTF_8);
            ByteBuf frame = DataFrames.header(channel.alloc(), DataFrames.ERROR, 4 + text.length, 0);
            frame.writeInt(status.getStatus().getCode().value()).writeBytes(text);
            channel.writeAndFlush(frame, channel.voidPromise());
        }

        /** Before the last frame is written: the caller may send its next READ as soon as that arrives. */
        private void end() {
            ended = true;
            streams.ended(this);
        }
    }
}
