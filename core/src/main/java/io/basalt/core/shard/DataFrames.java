package io.basalt.core.shard;

import io.basalt.core.tls.ClusterTls;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.charset.StandardCharsets;

/**
 * The wire format of a storage node's data port: ReadShard and WriteShard without HTTP/2 and gRPC, whose
 * framing, per-stream flow control and call set-up cost more CPU per byte than TLS itself (the bench's
 * transport rungs). Each frame is a type byte, a 4-byte big-endian payload length and the payload. A
 * connection carries one stream at a time, then takes the next:
 * <ul>
 *   <li>a read: the caller sends {@link #READ} (a ReadShardRequest); the node answers with {@link #DATA}
 *       frames (an 8-byte shard offset, then bytes) and ends with {@link #LAST} (a DATA frame that is the
 *       range's last), {@link #END} (an empty range) or {@link #ERROR};</li>
 *   <li>a write: the caller sends {@link #WRITE} (a WriteShardHeader), {@link #CHUNK} frames (a 4-byte
 *       CRC32C, then the chunk) and {@link #COMMIT}; the node answers {@link #ACK} (a ShardInfo) once the
 *       shard is durable, or {@link #ERROR} at the first problem, and then closes the connection (the
 *       caller's chunks may still be on their way).</li>
 * </ul>
 * An ERROR is a 4-byte gRPC status code and a UTF-8 description: the same statuses as over gRPC. A caller
 * that gives up on a stream closes the connection: there is no cancel frame to race with the node. Flow
 * control is TCP's: whoever holds a window's worth of unprocessed frames stops reading the socket.
 */
public final class DataFrames {
    public static final byte READ = 1;
    public static final byte DATA = 2;
    public static final byte LAST = 3;
    public static final byte END = 4;
    public static final byte ERROR = 5;
    public static final byte WRITE = 6;
    public static final byte CHUNK = 7;
    public static final byte COMMIT = 8;
    public static final byte ACK = 9;

    /** Type and payload length. */
    public static final int HEADER_BYTES = 5;

    /** A DATA or LAST frame's offset, before its bytes. */
    public static final int OFFSET_BYTES = 8;

    /** A CHUNK frame's CRC32C, before its bytes. */
    public static final int CRC_BYTES = 4;

    /** The largest payload either end accepts: one chunk (as gRPC's message limit) and its offset or CRC. */
    public static final int MAX_DATA_BYTES = ShardClients.MAX_MESSAGE_BYTES + OFFSET_BYTES;

    /** Unsent bytes a connection may hold before its writer waits, either end: four 256 KiB chunks. */
    public static final WriteBufferWaterMark UNSENT = new WriteBufferWaterMark(512 << 10, 1 << 20);

    /** Wraps up to this much at once into TLS records, so a 256 KiB message is a few wraps, not sixteen. */
    private static final int WRAP_BYTES = 64 << 10;

    private DataFrames() {}

    /**
     * Adds TLS (when {@code ssl} is not null) and the frame decoder to a new channel. Both keep the buffers
     * a record or frame spans as the parts of a composite instead of merging them: a frame's bytes are then
     * handed on as views of the buffers TLS decrypted them into, not copied again.
     */
    public static void framing(ChannelPipeline pipeline, SslHandler ssl, int maxPayload) {
        if (ssl != null) {
            ssl.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
            ssl.setWrapDataSize(WRAP_BYTES);
            // BoringSSL decrypts where the socket read to; the JDK's engine is faster on a copy in the heap
            if (ssl.engine() instanceof ReferenceCountedOpenSslEngine) pipeline.addLast(ssl);
            else pipeline.addLast(ToHeap.INSTANCE, ssl);
        }
        LengthFieldBasedFrameDecoder frames = new LengthFieldBasedFrameDecoder(HEADER_BYTES + maxPayload, 1, 4, 0, 0);
        frames.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
        pipeline.addLast(frames);
    }

    /**
     * The allocator of both ends' channels: pooled, as grpc's is. Netty 4.2's default (adaptive) allocated the
     * TLS records of every 256 KiB message afresh here, and the gateways' direct-memory limit then forced full GCs.
     */
    public static final ByteBufAllocator ALLOCATOR = PooledByteBufAllocator.DEFAULT;

    /**
     * How much a connection reads from its socket at once: Netty's adaptive guess, allowed up to 1 MiB where its
     * default stops at 64 KiB. A node receiving a PUT's shards (and a gateway a GET's) otherwise makes a read call,
     * and a pass through the TLS and frame decoders, per 64 KiB of a stream that arrives in 256 KiB messages.
     */
    public static final RecvByteBufAllocator RECEIVE_BUFFERS =
            new AdaptiveRecvByteBufAllocator(4 << 10, 64 << 10, 1 << 20);

    /** The data port's event loops in one process (a node's server, or a gateway's or coordinator's connections). */
    public static EventLoopGroup eventLoops() {
        return new MultiThreadIoEventLoopGroup(
                Math.max(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("shard-data-io", true),
                NioIoHandler.newFactory());
    }

    /** The ERROR frame of {@code status}. */
    public static ByteBuf error(Status status) {
        String description = status.getDescription();
        byte[] text = (description == null ? "" : description).getBytes(StandardCharsets.UTF_8);
        return header(ERROR, 4 + text.length, 0)
                .writeInt(status.getCode().value())
                .writeBytes(text);
    }

    /** The status an ERROR frame of {@code payload} bytes carries (at least 4). */
    public static StatusRuntimeException status(ByteBuf frame, int payload) {
        int at = frame.readerIndex() + HEADER_BYTES;
        return Status.fromCodeValue(frame.getInt(at))
                .withDescription(frame.toString(at + 4, payload - 4, StandardCharsets.UTF_8))
                .asRuntimeException();
    }

    /**
     * For the JDK's engine (where BoringSSL does not load, or {@code -Dbasalt.dataPort.tls=jdk}): copies what the
     * socket read (into direct memory) to the heap before TLS decrypts it: the JDK's AES-GCM runs
     * about twice as fast on heap arrays as in place in direct buffers, which pays for the copy (0.44-0.48 against
     * 0.55-0.59 CPU-s per GB received, on a loopback connection of 256 KiB frames).
     */
    @ChannelHandler.Sharable
    private static final class ToHeap extends ChannelInboundHandlerAdapter {
        static final ToHeap INSTANCE = new ToHeap();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf in) || !in.isDirect()) {
                ctx.fireChannelRead(msg);
                return;
            }
            ByteBuf heap = ALLOCATOR.heapBuffer(in.readableBytes());
            try {
                heap.writeBytes(in);
            } finally {
                in.release();
            }
            ctx.fireChannelRead(heap);
        }
    }

    /**
     * Whether frames are built in direct memory: for BoringSSL, which encrypts from there (a heap frame would be
     * copied first), and not for the JDK's engine, whose AES-GCM encrypts heap arrays about twice as fast as
     * direct buffers. With direct frames a storage node sends a chunk from the read window it was read into.
     */
    public static final boolean DIRECT_FRAMES = ClusterTls.DATA_PORT_PROVIDER == SslProvider.OPENSSL;

    /** A frame's header in a new buffer of {@code capacity} bytes at least (room for the payload, if written after). */
    public static ByteBuf header(byte type, int payloadBytes, int capacity) {
        int size = Math.max(capacity, HEADER_BYTES);
        return (DIRECT_FRAMES ? ALLOCATOR.directBuffer(size) : ALLOCATOR.heapBuffer(size))
                .writeByte(type)
                .writeInt(payloadBytes);
    }
}
