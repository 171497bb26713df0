package io.basalt.core.shard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;

/**
 * The wire format of a storage node's data port: ReadShard without HTTP/2 and gRPC, whose framing,
 * per-stream flow control and call set-up cost more CPU per byte than TLS itself (the bench's transport
 * rungs). Each frame is a type byte, a 4-byte big-endian payload length and the payload. A connection
 * carries one stream at a time: the caller sends {@link #READ} (a ReadShardRequest), the node answers with
 * {@link #DATA} frames (an 8-byte shard offset, then bytes) and ends the stream with {@link #LAST} (a
 * DATA frame that is the range's last), {@link #END} (an empty range) or {@link #ERROR} (a 4-byte gRPC
 * status code and a UTF-8 description); then the connection takes the next READ. A caller that stops
 * reading early closes the connection: there is no cancel frame to race with the node's sends. Flow
 * control is TCP's: a caller that holds its window of messages stops reading the socket.
 */
public final class DataFrames {
    public static final byte READ = 1;
    public static final byte DATA = 2;
    public static final byte LAST = 3;
    public static final byte END = 4;
    public static final byte ERROR = 5;

    /** Type and payload length. */
    public static final int HEADER_BYTES = 5;

    /** A DATA or LAST frame's offset, before its bytes. */
    public static final int OFFSET_BYTES = 8;

    /** The largest READ payload a node accepts: a shard id is at most 160 bytes. */
    public static final int MAX_REQUEST_BYTES = 1024;

    /** The largest payload a caller accepts: one stored chunk (as gRPC's message limit) and its offset. */
    public static final int MAX_DATA_BYTES = ShardClients.MAX_MESSAGE_BYTES + OFFSET_BYTES;

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
            pipeline.addLast(ssl);
        }
        LengthFieldBasedFrameDecoder frames = new LengthFieldBasedFrameDecoder(HEADER_BYTES + maxPayload, 1, 4, 0, 0);
        frames.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
        pipeline.addLast(frames);
    }

    /** A frame's header in a new buffer of {@code capacity} bytes at least (room for the payload, if written after). */
    public static ByteBuf header(ByteBufAllocator alloc, byte type, int payloadBytes, int capacity) {
        return alloc.buffer(Math.max(capacity, HEADER_BYTES)).writeByte(type).writeInt(payloadBytes);
    }
}
