package io.basalt.core.shard;

import com.google.protobuf.InvalidProtocolBufferException;
import io.basalt.core.tls.ClusterTls;
import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ShardInfo;
import io.basalt.proto.shard.WriteShardHeader;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connections to storage nodes' data ports ({@link DataFrames}), pooled per address: a stream takes an idle
 * connection or opens one, and gives it back when the node ends the stream, so a TLS handshake is paid once per
 * connection, not per read or write. A stream abandoned before the node ended it closes its connection instead.
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
        this.group = DataFrames.eventLoops();
    }

    /** Starts reading {@code request}'s range from the node at {@code address} into {@code reader}. */
    RemoteShardReader.ReadCall read(String address, ReadShardRequest request, int window, RemoteShardReader reader) {
        ReadStream stream = new ReadStream(request, window, reader);
        begin(address, stream);
        return stream;
    }

    /** Starts a shard write to the node at {@code address}; its chunks queue until the connection is up. */
    RemoteShardWriter.WriteCall write(String address, WriteShardHeader header, RemoteShardWriter writer) {
        WriteStream stream = new WriteStream(header, writer);
        begin(address, stream);
        return stream;
    }

    private void begin(String address, Stream stream) {
        Connection c = takeIdle(address);
        if (c != null) {
            stream.startOn(c);
            return;
        }
        connect(address).addListener(f -> {
            if (f.isSuccess()) stream.startOn((Connection) f.getNow());
            else
                stream.lost(Status.UNAVAILABLE
                        .withDescription("cannot reach data port " + address + ": " + f.cause())
                        .withCause(f.cause())
                        .asRuntimeException());
        });
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
        // One event loop chosen once, for both the channel and its promise: asking the group twice (a promise of
        // group.next(), then a channel registered on group.next()) put every connection on the same loop of two.
        EventLoop loop = group.next();
        Promise<Connection> ready = loop.newPromise();
        ChannelFuture connected = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, DataFrames.UNSENT)
                .option(ChannelOption.ALLOCATOR, DataFrames.ALLOCATOR)
                .option(ChannelOption.RCVBUF_ALLOCATOR, DataFrames.RECEIVE_BUFFERS)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl =
                                tls == null ? null : tls.dataClientContext().newHandler(ch.alloc(), host, port);
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

    /** One read or write on a connection, from the caller's side. */
    private abstract static class Stream {
        // Set under this lock, read without: a writer asks whether it is ready while holding its own lock, which
        // the event loop takes (to signal it) after this one; reading under this lock would deadlock the two.
        volatile Connection connection;
        boolean cancelled; // guarded by this

        /** Puts the stream on {@code c} (its request goes out), or gives {@code c} back if it was cancelled. */
        final void startOn(Connection c) {
            ChannelFuture sent = null;
            synchronized (this) {
                if (!cancelled) {
                    connection = c;
                    c.current = this;
                    sent = open(c.channel);
                }
            }
            if (sent == null) {
                c.owner.giveBack(c); // abandoned before it was sent: the connection was never used
                return;
            }
            // A connection may close between its handshake and this stream's first frame (a node refusing this
            // caller's certificate closes it just after the handshake): then no frame ever comes, and the
            // stream is lost here rather than when its caller's patience runs out.
            sent.addListener(f -> {
                if (!f.isSuccess()) c.lose(this, f.cause());
            });
            started();
        }

        /** After the opening frames went out, outside the stream's lock. */
        void started() {}

        /** The stream's opening frames, on its new connection (under the stream's lock). */
        abstract ChannelFuture open(Channel channel);

        /**
         * A frame from the node, on the event loop, with its type and payload length; the stream releases it.
         * False: a frame this stream never expects, and the connection is closed.
         */
        abstract boolean frame(Connection c, ByteBuf frame, byte type, int payload);

        /** The connection failed or closed before the node ended the stream. */
        abstract void lost(StatusRuntimeException why);

        void writable() {}

        /**
         * Abandons the stream: the node may be sending the rest of a range, or waiting for more of a shard, so
         * rather than finish it, the connection is dropped. On its event loop, where the node's last frame may
         * have ended the stream and freed the connection for another since the caller decided.
         */
        final void abandon() {
            Connection c;
            synchronized (this) {
                cancelled = true;
                c = connection;
            }
            if (c != null)
                c.channel.eventLoop().execute(() -> {
                    if (c.current == this) c.channel.close();
                });
        }
    }

    /** A ReadShard: the reader it feeds and its window. */
    private static final class ReadStream extends Stream implements RemoteShardReader.ReadCall {
        private final ReadShardRequest request;
        private final int window;
        private final RemoteShardReader reader;
        private final AtomicInteger queued = new AtomicInteger(); // delivered, not yet taken by the reader

        ReadStream(ReadShardRequest request, int window, RemoteShardReader reader) {
            this.request = request;
            this.window = window;
            this.reader = reader;
        }

        @Override
        ChannelFuture open(Channel channel) {
            byte[] r = request.toByteArray();
            return channel.writeAndFlush(
                    DataFrames.header(DataFrames.READ, r.length, 0).writeBytes(r));
        }

        @Override
        boolean frame(Connection c, ByteBuf frame, byte type, int payload) {
            switch (type) {
                case DataFrames.DATA, DataFrames.LAST -> {
                    if (payload < DataFrames.OFFSET_BYTES) return false;
                    int at = frame.readerIndex() + DataFrames.HEADER_BYTES;
                    int length = payload - DataFrames.OFFSET_BYTES;
                    ByteBuffer[] views =
                            length == 0 ? new ByteBuffer[0] : frame.nioBuffers(at + DataFrames.OFFSET_BYTES, length);
                    ShardMessage m = ShardMessage.viewing(frame.getLong(at), views, length, frame::release);
                    if (type == DataFrames.LAST) { // ended before the reader sees it: a close then abandons nothing
                        c.streamEnded(true);
                        reader.arrived(m);
                        reader.ended();
                        return true;
                    }
                    if (queued.incrementAndGet() >= window)
                        c.channel.config().setAutoRead(false); // the reader is a window behind: let TCP push back
                    reader.arrived(m);
                }
                case DataFrames.END -> {
                    frame.release();
                    c.streamEnded(true);
                    reader.ended();
                }
                case DataFrames.ERROR -> {
                    if (payload < 4) return false;
                    StatusRuntimeException status = DataFrames.status(frame, payload);
                    frame.release();
                    c.streamEnded(true);
                    reader.failed(status);
                }
                default -> {
                    return false;
                }
            }
            return true;
        }

        @Override
        void lost(StatusRuntimeException why) {
            reader.failed(why);
        }

        @Override
        public void consumed() {
            // Reading resumes once the reader is half a window behind, not at every message: a resume is a hop.
            if (queued.decrementAndGet() == window / 2) {
                Connection c = connection;
                if (c != null)
                    c.channel.eventLoop().execute(() -> {
                        if (c.current == this && queued.get() < window)
                            c.channel.config().setAutoRead(true);
                    });
            }
        }

        @Override
        public void cancel() {
            abandon();
        }
    }

    /**
     * A WriteShard: the header, chunks as they come (queued, in order, until the connection is up), a COMMIT, and
     * the node's acknowledgement once the shard is durable.
     */
    private static final class WriteStream extends Stream implements RemoteShardWriter.WriteCall {
        private final WriteShardHeader header;
        private final RemoteShardWriter writer;
        private final List<ByteBuf> early = new ArrayList<>(); // frames sent before the connection was up
        private boolean committed; // guarded by this

        WriteStream(WriteShardHeader header, RemoteShardWriter writer) {
            this.header = header;
            this.writer = writer;
        }

        @Override
        ChannelFuture open(Channel channel) {
            byte[] h = header.toByteArray();
            ChannelFuture sent = channel.write(
                    DataFrames.header(DataFrames.WRITE, h.length, 0).writeBytes(h));
            for (ByteBuf f : early) channel.write(f);
            early.clear();
            if (committed) channel.write(commitFrame());
            channel.flush();
            return sent;
        }

        @Override
        void started() {
            writer.signal(); // the writer may be waiting for a connection that is ready now
        }

        @Override
        public void send(byte[] data, int length, int crc32c) {
            // Copied into one pooled buffer, not wrapped: a frame of two parts costs the event loop's TLS more than the
            // copy costs this thread (SslHandler merges the parts of every wrap that spans them), and the array is
            // garbage at once instead of when the event loop is done with it.
            int payload = DataFrames.CRC_BYTES + length;
            ByteBuf frame = DataFrames.header(DataFrames.CHUNK, payload, DataFrames.HEADER_BYTES + payload)
                    .writeInt(crc32c)
                    .writeBytes(data, 0, length);
            Connection c;
            synchronized (this) {
                c = connection;
                if (c == null) {
                    early.add(frame);
                    return;
                }
            }
            c.channel.writeAndFlush(frame, c.channel.voidPromise());
        }

        @Override
        public boolean isReady() {
            Connection c = connection;
            return c != null && c.channel.isWritable();
        }

        @Override
        public void complete() {
            Connection c;
            synchronized (this) {
                committed = true;
                c = connection;
                if (c == null) return; // goes out after the early chunks
            }
            c.channel.writeAndFlush(commitFrame(), c.channel.voidPromise());
        }

        private static ByteBuf commitFrame() {
            return DataFrames.header(DataFrames.COMMIT, 0, 0);
        }

        @Override
        public void cancel(String why) {
            synchronized (this) {
                for (ByteBuf f : early) f.release();
                early.clear();
            }
            abandon();
        }

        @Override
        boolean frame(Connection c, ByteBuf frame, byte type, int payload) {
            switch (type) {
                case DataFrames.ACK -> {
                    ShardInfo info;
                    try {
                        info = ShardInfo.parseFrom(
                                frame.nioBuffer(frame.readerIndex() + DataFrames.HEADER_BYTES, payload));
                    } catch (InvalidProtocolBufferException e) {
                        frame.release();
                        return false;
                    }
                    frame.release();
                    c.streamEnded(true);
                    writer.acknowledged(info);
                }
                case DataFrames.ERROR -> {
                    if (payload < 4) return false;
                    StatusRuntimeException status = DataFrames.status(frame, payload);
                    frame.release();
                    c.streamEnded(false); // the node closes it: our chunks may still be on the way
                    writer.failed(status);
                }
                default -> {
                    return false;
                }
            }
            return true;
        }

        @Override
        void lost(StatusRuntimeException why) {
            synchronized (this) {
                for (ByteBuf f : early) f.release();
                early.clear();
            }
            writer.failed(why);
        }

        @Override
        void writable() {
            writer.signal();
        }
    }

    /** One connection's handler: hands the node's frames to the stream it carries. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        final DataConnections owner = DataConnections.this;
        final String address;
        Channel channel;
        volatile long idleSince; // a stamp per time it went idle: a stale idle timer does nothing
        volatile Stream current;
        private Throwable failure;

        Connection(String address) {
            this.address = address;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            Stream s = current;
            byte type = frame.getByte(frame.readerIndex());
            int payload = frame.readableBytes() - DataFrames.HEADER_BYTES;
            // a node that talks out of turn, or says what this stream never expects, is not one to trust
            if (s == null || !s.frame(this, frame, type, payload)) {
                if (frame.refCnt() > 0) frame.release();
                failure = new IllegalStateException(
                        address + " sent a frame of type " + type + (s == null ? " outside any stream" : ""));
                ctx.close();
            }
        }

        /** The node ended the stream: the connection is free for the next one, or closed when {@code !reuse}. */
        void streamEnded(boolean reuse) {
            current = null;
            channel.config().setAutoRead(true);
            if (reuse) giveBack(this);
            else channel.close();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Stream s = current;
            if (s != null && ctx.channel().isWritable()) s.writable();
            ctx.fireChannelWritabilityChanged();
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
            if (s != null) lose(s, failure);
        }

        /** {@code s} is lost with this connection, once: on the event loop, where both ways here run. */
        void lose(Stream s, Throwable why) {
            if (current != s) return;
            current = null;
            channel.close();
            s.lost(Status.UNAVAILABLE
                    .withDescription("connection to data port " + address + " closed" + (why == null ? "" : ": " + why))
                    .withCause(why)
                    .asRuntimeException());
        }
    }
}
