package io.basalt.storage;

import io.basalt.core.shard.DataFrames;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.WriteShardHeader;
import io.grpc.StatusRuntimeException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The node's data port: ReadShard and WriteShard as {@link DataFrames} over mutual TLS with the cluster's
 * certificates (the same as its gRPC port; a caller without one never gets past the handshake), without HTTP/2
 * or gRPC between. One stream at a time per connection. A read's chunks are read and sent by a
 * {@link ChunkSender} off the event loop, only while the connection is writable; a write's go to a
 * {@link ShardWriteSession} through {@link DataPortWrite}.
 */
final class ShardDataServer implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(ShardDataServer.class);

    private final EventLoopGroup group;
    private final ExecutorService workers;
    private final Channel server;
    private final AtomicInteger accepted;

    private ShardDataServer(EventLoopGroup group, ExecutorService workers, Channel server, AtomicInteger accepted) {
        this.group = group;
        this.workers = workers;
        this.server = server;
        this.accepted = accepted;
    }

    /** Listens on {@code host:port} (0: a free port); {@code tls} null serves plaintext. */
    static ShardDataServer start(String host, int port, ClusterTls tls, ShardStore store, NodeMetrics metrics)
            throws IOException {
        EventLoopGroup group = DataFrames.eventLoops();
        // Streams read and write the disk, which may hang: never on an event loop. A thread per stream while busy.
        AtomicInteger count = new AtomicInteger();
        ExecutorService workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "shard-stream-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        AtomicInteger accepted = new AtomicInteger();
        try {
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, DataFrames.UNSENT)
                    .childOption(ChannelOption.ALLOCATOR, DataFrames.ALLOCATOR)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, DataFrames.RECEIVE_BUFFERS)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            accepted.incrementAndGet();
                            DataFrames.framing(
                                    ch.pipeline(),
                                    tls == null ? null : tls.dataServerContext().newHandler(ch.alloc()),
                                    DataFrames.MAX_DATA_BYTES);
                            ch.pipeline().addLast(new Streams(store, metrics, workers));
                        }
                    })
                    .bind(host, port)
                    .syncUninterruptibly()
                    .channel();
            return new ShardDataServer(group, workers, server, accepted);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownNow();
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
        workers.shutdown();
    }

    /** One connection: takes one stream at a time, a read (READ) or a write (WRITE, CHUNKs, COMMIT). */
    private static final class Streams extends ChannelInboundHandlerAdapter {
        private final ShardStore store;
        private final NodeMetrics metrics;
        private final ExecutorService workers;
        private volatile Object active; // an Outlet or a DataPortWrite, until the stream's last frame is written

        Streams(ShardStore store, NodeMetrics metrics, ExecutorService workers) {
            this.store = store;
            this.metrics = metrics;
            this.workers = workers;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            int at = frame.readerIndex() + DataFrames.HEADER_BYTES;
            int payload = frame.readableBytes() - DataFrames.HEADER_BYTES;
            byte type = frame.getByte(frame.readerIndex());
            Object stream = active;
            try {
                switch (type) {
                    case DataFrames.READ -> {
                        if (stream != null) break;
                        ReadShardRequest request = ReadShardRequest.parseFrom(frame.nioBuffer(at, payload));
                        Outlet out = new Outlet(ctx.channel(), this);
                        active = out;
                        workers.execute(() -> ChunkSender.serve(store, metrics, request, out));
                        return;
                    }
                    case DataFrames.WRITE -> {
                        if (stream != null) break;
                        WriteShardHeader header = WriteShardHeader.parseFrom(frame.nioBuffer(at, payload));
                        DataPortWrite write = new DataPortWrite(ctx.channel(), this::ended, store, metrics, workers);
                        active = write;
                        write.header(header);
                        return;
                    }
                    case DataFrames.CHUNK -> {
                        if (!(stream instanceof DataPortWrite write) || payload < DataFrames.CRC_BYTES) break;
                        write.chunk(frame, at, payload);
                        frame = null; // the write releases it
                        return;
                    }
                    case DataFrames.COMMIT -> {
                        if (!(stream instanceof DataPortWrite write)) break;
                        write.commit();
                        return;
                    }
                    default -> {}
                }
                log.warn(
                        "data port: {} sent a frame of type {} out of turn; closing",
                        ctx.channel().remoteAddress(),
                        type);
            } catch (IOException e) {
                log.warn(
                        "data port: unreadable request from {}; closing",
                        ctx.channel().remoteAddress());
            } finally {
                if (frame != null) frame.release();
            }
            ctx.close();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (active instanceof Outlet out && ctx.channel().isWritable()) out.ready();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Object stream = active;
            if (stream instanceof Outlet out) out.cancelled();
            else if (stream instanceof DataPortWrite write) write.lost();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a caller without the cluster's certificate ends here, at its handshake
            log.debug("data port: connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        /** The stream's last frame is being written: the connection takes the next. */
        void ended() {
            active = null;
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
            if (r != null) streams.workers.execute(r);
        }

        @Override
        public void onCancel(Runnable task) {
            boolean now;
            synchronized (this) {
                onCancel = task;
                now = cancelled;
            }
            if (now) streams.workers.execute(task);
        }

        void cancelled() {
            Runnable r;
            synchronized (this) {
                cancelled = true;
                r = onCancel;
            }
            if (r != null) streams.workers.execute(r);
        }

        @Override
        public void send(long offset, int length, boolean last, Fill fill) throws IOException {
            ByteBuf frame =
                    dataHeader(offset, length, last, DataFrames.HEADER_BYTES + DataFrames.OFFSET_BYTES + length);
            try {
                // a view of the frame's own (heap, pooled) memory: the chunk is read into the frame it leaves in
                fill.into(frame.nioBuffer(frame.writerIndex(), length));
                frame.writerIndex(frame.writerIndex() + length);
            } catch (IOException | RuntimeException e) {
                frame.release();
                throw e;
            }
            if (last) end();
            channel.writeAndFlush(frame, channel.voidPromise());
        }

        /** Frames made of the chunks' own buffers, when BoringSSL encrypts them from direct memory. */
        @Override
        public boolean takesLent() {
            return DataFrames.DIRECT_FRAMES;
        }

        @Override
        public void lend(long offset, ByteBuf data, boolean last) {
            ByteBuf head =
                    dataHeader(offset, data.readableBytes(), last, DataFrames.HEADER_BYTES + DataFrames.OFFSET_BYTES);
            ByteBuf frame = DataFrames.ALLOCATOR.compositeDirectBuffer(2).addComponents(true, head, data);
            if (last) end();
            channel.write(frame, channel.voidPromise());
        }

        /** A DATA (or LAST) frame's header and shard offset for {@code length} bytes, in a buffer of {@code capacity}. */
        private static ByteBuf dataHeader(long offset, int length, boolean last, int capacity) {
            return DataFrames.header(
                            last ? DataFrames.LAST : DataFrames.DATA, DataFrames.OFFSET_BYTES + length, capacity)
                    .writeLong(offset);
        }

        @Override
        public void flush() {
            channel.flush();
        }

        @Override
        public void complete() {
            if (ended) return; // the last data frame said so
            end();
            channel.writeAndFlush(DataFrames.header(DataFrames.END, 0, 0), channel.voidPromise());
        }

        @Override
        public void fail(StatusRuntimeException status) {
            end();
            channel.writeAndFlush(DataFrames.error(status.getStatus()), channel.voidPromise());
        }

        /** Before the last frame is written: the caller may send its next READ as soon as that arrives. */
        private void end() {
            ended = true;
            streams.ended();
        }
    }
}
