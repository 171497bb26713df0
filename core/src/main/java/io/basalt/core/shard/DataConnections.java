package io.basalt.core.shard;

import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.shard.ReadShardRequest;
import io.grpc.Status;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connections to storage nodes' data ports ({@link DataFrames}), pooled per address: a stream takes an idle
 * connection or opens one, and gives it back when the node ends the stream, so a TLS handshake is paid once per
 * connection, not per read. A reader closed before its stream ended closes the connection instead.
 */
public final class DataConnections implements AutoCloseable {
    /** Idle connections kept per node: as many as the concurrent streams to one node usually are. */
    private static final int IDLE_PER_NODE = 32;

    private static final long IDLE_CLOSE_MS = 60_000;
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final ClusterTls tls; // null: plaintext
    private final EventLoopGroup group;
    private final ConcurrentHashMap<String, ConcurrentLinkedDeque<Connection>> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    DataConnections(ClusterTls tls) {
        this.tls = tls;
        this.group = new MultiThreadIoEventLoopGroup(
                Math.max(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("shard-data-io", true),
                NioIoHandler.newFactory());
    }

    /** Starts reading {@code request}'s range from the node at {@code address} into {@code reader}. */
    RemoteShardReader.ReadCall read(String address, ReadShardRequest request, int window, RemoteShardReader reader) {
        Stream stream = new Stream(request, window, reader);
        Connection c = takeIdle(address);
        if (c != null) {
            stream.startOn(c);
            return stream;
        }
        connect(address).addListener(f -> {
            if (f.isSuccess()) stream.startOn((Connection) f.getNow());
            else
                reader.failed(Status.UNAVAILABLE
                        .withDescription("cannot reach data port " + address + ": " + f.cause())
                        .withCause(f.cause())
                        .asRuntimeException());
        });
        return stream;
    }

    private Connection takeIdle(String address) {
        ConcurrentLinkedDeque<Connection> q = idle.get(address);
        if (q == null) return null;
        for (Connection c; (c = q.pollFirst()) != null; ) {
            if (c.channel.isActive()) return c;
        }
        return null;
    }

    /** A connection, once its TLS handshake is done. */
    private Future<Connection> connect(String address) {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        int port = Integer.parseInt(address.substring(colon + 1));
        Connection conn = new Connection(address);
        io.netty.util.concurrent.Promise<Connection> ready = group.next().newPromise();
        ChannelFuture connected = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl =
                                tls == null ? null : tls.clientContext().newHandler(ch.alloc(), host, port);
                        DataFrames.framing(ch.pipeline(), ssl, DataFrames.MAX_DATA_BYTES);
                        ch.pipeline().addLast(conn);
                        if (ssl != null)
                            ssl.handshakeFuture().addListener(h -> {
                                if (h.isSuccess()) ready.trySuccess(conn);
                                else ready.tryFailure(h.cause());
                            });
                    }
                })
                .connect(host, port);
        connected.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) ready.tryFailure(f.cause());
            else if (tls == null) ready.trySuccess(conn);
        });
        return ready;
    }

    /** Back to the idle pool after a stream the node ended, or closed when the pool is full or closing. */
    private void giveBack(Connection c) {
        ConcurrentLinkedDeque<Connection> q = idle.computeIfAbsent(c.address, a -> new ConcurrentLinkedDeque<>());
        if (closed || !c.channel.isActive() || q.size() >= IDLE_PER_NODE) {
            c.channel.close();
            return;
        }
        long since = ++c.idleSince;
        q.addFirst(c); // the most recently used first: the rest age out
        c.channel
                .eventLoop()
                .schedule(
                        () -> {
                            if (c.idleSince == since && q.remove(c)) c.channel.close();
                        },
                        IDLE_CLOSE_MS,
                        TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        for (ConcurrentLinkedDeque<Connection> q : idle.values()) {
            for (Connection c; (c = q.pollFirst()) != null; ) c.channel.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** One read: the reader it feeds, its window, and the connection once it has one. */
    private static final class Stream implements RemoteShardReader.ReadCall {
        private final ReadShardRequest request;
        private final int window;
        private final RemoteShardReader reader;
        private final AtomicInteger queued = new AtomicInteger(); // delivered, not yet taken by the reader
        private Connection connection; // guarded by this
        private boolean cancelled; // guarded by this

        Stream(ReadShardRequest request, int window, RemoteShardReader reader) {
            this.request = request;
            this.window = window;
            this.reader = reader;
        }

        void startOn(Connection c) {
            synchronized (this) {
                if (!cancelled) {
                    connection = c;
                    c.start(this);
                    return;
                }
            }
            c.owner.giveBack(c); // closed before it was sent: the connection was never used
        }

        @Override
        public void consumed() {
            // Reading resumes once the reader is half a window behind, not at every message: a resume is a hop.
            if (queued.decrementAndGet() == window / 2) {
                Connection c;
                synchronized (this) {
                    c = connection;
                }
                if (c != null) c.channel.eventLoop().execute(() -> c.resumeIfBelowWindow(this));
            }
        }

        @Override
        public void cancel() {
            Connection c;
            synchronized (this) {
                cancelled = true;
                c = connection;
            }
            // A node may be sending the rest of the range: rather than read it to the end, drop the connection.
            // On its event loop, where the node's last frame may have ended the stream and freed the connection
            // for another since the reader decided to close.
            if (c != null)
                c.channel.eventLoop().execute(() -> {
                    if (c.current == this) c.channel.close();
                });
        }
    }

    /** One connection's handler: parses the node's frames into the current stream's reader. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        final DataConnections owner = DataConnections.this;
        final String address;
        Channel channel;
        volatile long idleSince; // a stamp per time it went idle: a stale idle timer does nothing
        private volatile Stream current;
        private Throwable failure;

        Connection(String address) {
            this.address = address;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        void start(Stream s) {
            current = s;
            byte[] request = s.request.toByteArray();
            ByteBuf frame = DataFrames.header(
                    channel.alloc(), DataFrames.READ, request.length, DataFrames.HEADER_BYTES + request.length);
            channel.writeAndFlush(frame.writeBytes(request)).addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) f.channel().close(); // channelInactive fails the stream
            });
        }

        void resumeIfBelowWindow(Stream s) {
            if (current == s && s.queued.get() < s.window) channel.config().setAutoRead(true);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            Stream s = current;
            if (s == null) { // nothing was asked: a node that talks out of turn is not one to trust
                frame.release();
                failure = new IllegalStateException("a frame outside any stream");
                ctx.close();
                return;
            }
            int at = frame.readerIndex();
            byte type = frame.getByte(at);
            int payload = frame.readableBytes() - DataFrames.HEADER_BYTES;
            switch (type) {
                case DataFrames.DATA, DataFrames.LAST -> {
                    if (payload < DataFrames.OFFSET_BYTES) {
                        protocolError(ctx, frame, "a data frame of " + payload + " bytes");
                        return;
                    }
                    int from = at + DataFrames.HEADER_BYTES + DataFrames.OFFSET_BYTES;
                    int length = payload - DataFrames.OFFSET_BYTES;
                    ByteBuffer[] views = length == 0 ? new ByteBuffer[0] : frame.nioBuffers(from, length);
                    long offset = frame.getLong(at + DataFrames.HEADER_BYTES);
                    ShardMessage m = ShardMessage.viewing(offset, views, length, frame::release);
                    if (type == DataFrames.LAST) { // ended before the reader sees it: a close then cancels nothing
                        streamEnded(s).arrived(m);
                        s.reader.ended();
                        return;
                    }
                    if (s.queued.incrementAndGet() >= s.window)
                        channel.config().setAutoRead(false); // the reader is a window behind: let TCP push back
                    s.reader.arrived(m);
                }
                case DataFrames.END -> {
                    frame.release();
                    streamEnded(s).ended();
                }
                case DataFrames.ERROR -> {
                    if (payload < 4) {
                        protocolError(ctx, frame, "an error frame of " + payload + " bytes");
                        return;
                    }
                    int code = frame.getInt(at + DataFrames.HEADER_BYTES);
                    String description =
                            frame.toString(at + DataFrames.HEADER_BYTES + 4, payload - 4, StandardCharsets.UTF_8);
                    frame.release();
                    streamEnded(s)
                            .failed(Status.fromCodeValue(code)
                                    .withDescription(description)
                                    .asRuntimeException());
                }
                default -> protocolError(ctx, frame, "a frame of type " + type);
            }
        }

        /** The node ended {@code s}: the connection is free for the next stream. */
        private RemoteShardReader streamEnded(Stream s) {
            current = null;
            channel.config().setAutoRead(true);
            giveBack(this);
            return s.reader;
        }

        private void protocolError(ChannelHandlerContext ctx, ByteBuf frame, String what) {
            frame.release();
            failure = new IllegalStateException(address + " sent " + what);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure = cause;
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ConcurrentLinkedDeque<Connection> q = idle.get(address);
            if (q != null) q.remove(this);
            Stream s = current;
            current = null;
            if (s == null) return;
            Throwable why = failure;
            s.reader.failed(Status.UNAVAILABLE
                    .withDescription("connection to data port " + address + " closed" + (why == null ? "" : ": " + why))
                    .withCause(why)
                    .asRuntimeException());
        }
    }
}
