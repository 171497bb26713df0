package io.basalt.core.shard;

import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ReadShardResponse;
import io.basalt.proto.shard.ShardServiceGrpc;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One ReadShard response. Its data field is kept where the transport received it: the message's
 * buffers are detached from gRPC and the data handed on as views of them, so the bytes reach the
 * client's socket without a copy in this process. Those buffers go back to the transport's pool
 * on {@link #release()}; a stream that cannot be detached is copied into an array once instead.
 */
final class ShardMessage {

    /** ReadShard with this message as its response type instead of ReadShardResponse. */
    static final MethodDescriptor<ReadShardRequest, ShardMessage> READ_SHARD =
            ShardServiceGrpc.getReadShardMethod().toBuilder(
                            ProtoUtils.marshaller(ReadShardRequest.getDefaultInstance()), new Marshaller())
                    .build();

    private static final byte[] EMPTY = new byte[0];

    private static final ByteBuffer[] NO_PARTS = {};

    private final long offset;
    private final ByteBuffer[] parts; // the data field, in order
    private final int length;
    private Closeable owner; // holds the transport's buffers the parts view; null once released or for arrays
    private int part, inPart; // where the next byte to take is
    private int taken;

    ShardMessage(long offset, byte[] data) {
        this(offset, new ByteBuffer[] {ByteBuffer.wrap(data)}, data.length, null);
    }

    private ShardMessage(long offset, ByteBuffer[] parts, int length, Closeable owner) {
        this.offset = offset;
        this.parts = parts;
        this.length = length;
        this.owner = owner;
    }

    /** A message whose data are views of a transport's buffers, given back by {@code owner} on {@link #release}. */
    static ShardMessage viewing(long offset, ByteBuffer[] parts, int length, Closeable owner) {
        return new ShardMessage(offset, parts, length, owner);
    }

    long offset() {
        return offset;
    }

    int length() {
        return length;
    }

    /** Bytes not taken yet. */
    int remaining() {
        return length - taken;
    }

    /** Moves up to {@code max} of the next bytes, as views, to {@code out}; returns how many. */
    int take(int max, List<ByteBuffer> out) {
        int want = Math.min(max, remaining());
        int moved = 0;
        while (moved < want) {
            ByteBuffer p = parts[part];
            int n = Math.min(want - moved, p.remaining() - inPart);
            if (n > 0) out.add(p.slice(p.position() + inPart, n));
            moved += n;
            inPart += n;
            if (inPart == p.remaining()) {
                part++;
                inPart = 0;
            }
        }
        taken += moved;
        return moved;
    }

    /**
     * Gives the received buffers back to the transport; views taken before are invalid after this.
     * Idempotent; nothing to do for a message copied into an array.
     */
    void release() {
        Closeable o = owner;
        owner = null;
        if (o == null) return;
        try {
            o.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses the protobuf wire format of ReadShardResponse, reading its data field straight into its array. */
    static final class Marshaller implements MethodDescriptor.Marshaller<ShardMessage> {

        @Override
        public InputStream stream(ShardMessage value) {
            throw new UnsupportedOperationException("ReadShard responses are only received");
        }

        @Override
        public ShardMessage parse(InputStream received) {
            // Detached, the message's buffers outlive this call; marked, the composite keeps the
            // buffers read past (instead of freeing them) until the detached stream is closed.
            InputStream in = received;
            Closeable owner = null;
            if (received instanceof Detachable d
                    && received instanceof HasByteBuffer hb
                    && hb.byteBufferSupported()
                    && received.markSupported()) {
                in = d.detach();
                in.mark(Integer.MAX_VALUE);
                owner = in;
            }
            try {
                long offset = 0;
                ByteBuffer[] parts = NO_PARTS;
                int length = 0;
                int tag;
                while ((tag = ProtoWire.readTag(in)) != 0) {
                    switch (tag >>> 3) {
                        case ReadShardResponse.OFFSET_FIELD_NUMBER -> offset = ProtoWire.readVarint(in);
                        case ReadShardResponse.DATA_FIELD_NUMBER -> {
                            length = ProtoWire.readLength(in);
                            parts = owner != null ? views(in, length) : new ByteBuffer[] {copy(in, length)};
                        }
                        default -> ProtoWire.skipField(in, tag);
                    }
                }
                return new ShardMessage(offset, parts, length, owner);
            } catch (IOException | RuntimeException e) {
                closeQuietly(owner);
                throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
            }
        }

        /** The next {@code length} bytes of a detached, marked stream, as views of its buffers. */
        private static ByteBuffer[] views(InputStream in, int length) throws IOException {
            List<ByteBuffer> parts = new ArrayList<>();
            HasByteBuffer buffers = (HasByteBuffer) in;
            for (int left = length; left > 0; ) {
                in.skip(0); // steps past a buffer read to its end
                ByteBuffer b = buffers.getByteBuffer();
                if (b == null || !b.hasRemaining())
                    throw new IOException("ReadShard message shorter than its data field");
                int n = Math.min(left, b.remaining());
                parts.add(b.slice(b.position(), n));
                if (in.skip(n) != n) throw new IOException("ReadShard message shorter than its data field");
                left -= n;
            }
            return parts.toArray(ByteBuffer[]::new);
        }

        private static ByteBuffer copy(InputStream in, int length) throws IOException {
            byte[] data = length == 0 ? EMPTY : new byte[length];
            if (in.readNBytes(data, 0, length) != length) {
                throw new IOException("ReadShard message shorter than its data field");
            }
            return ByteBuffer.wrap(data);
        }

        private static void closeQuietly(Closeable c) {
            if (c == null) return;
            try {
                c.close();
            } catch (IOException ignored) {
                // the parse error is what the caller hears about
            }
        }
    }
}
