package io.basalt.core.shard;

import io.basalt.proto.shard.ReadShardRequest;
import io.basalt.proto.shard.ReadShardResponse;
import io.basalt.proto.shard.ShardServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One ReadShard response, parsed with a single copy out of the transport's buffers (the generated
 * parser makes two: into a scratch array, then into the ByteString). Its bytes are then handed on
 * as views, never copied again in this process.
 */
final class ShardMessage {

    /** ReadShard with this message as its response type instead of ReadShardResponse. */
    static final MethodDescriptor<ReadShardRequest, ShardMessage> READ_SHARD =
            ShardServiceGrpc.getReadShardMethod().toBuilder(
                            ProtoUtils.marshaller(ReadShardRequest.getDefaultInstance()), new Marshaller())
                    .build();

    private static final byte[] EMPTY = new byte[0];
    private static final int WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_BYTES = 2, WIRE_FIXED32 = 5;

    private final long offset;
    private final byte[] data;
    private int taken;

    ShardMessage(long offset, byte[] data) {
        this.offset = offset;
        this.data = data;
    }

    long offset() {
        return offset;
    }

    int length() {
        return data.length;
    }

    /** Bytes not taken yet. */
    int remaining() {
        return data.length - taken;
    }

    /** Moves up to {@code max} of the next bytes, as a view, to {@code out}; returns how many. */
    int take(int max, List<ByteBuffer> out) {
        int n = Math.min(max, remaining());
        if (n > 0) out.add(ByteBuffer.wrap(data, taken, n).slice());
        taken += n;
        return n;
    }

    /** Parses the protobuf wire format of ReadShardResponse, reading its data field straight into its array. */
    static final class Marshaller implements MethodDescriptor.Marshaller<ShardMessage> {

        @Override
        public InputStream stream(ShardMessage value) {
            throw new UnsupportedOperationException("ReadShard responses are only received");
        }

        @Override
        public ShardMessage parse(InputStream in) {
            try {
                long offset = 0;
                byte[] data = EMPTY;
                int tag;
                while ((tag = readTag(in)) != 0) {
                    switch (tag >>> 3) {
                        case ReadShardResponse.OFFSET_FIELD_NUMBER -> offset = readVarint(in);
                        case ReadShardResponse.DATA_FIELD_NUMBER -> {
                            data = new byte[checkedLength(readVarint(in))];
                            if (in.readNBytes(data, 0, data.length) != data.length) {
                                throw new IOException("ReadShard message shorter than its data field");
                            }
                        }
                        default -> skipField(in, tag);
                    }
                }
                return new ShardMessage(offset, data);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The next field's tag, or 0 at the end of the message. */
        private static int readTag(InputStream in) throws IOException {
            int first = in.read();
            if (first < 0) return 0;
            long tag = first < 0x80 ? first : (first & 0x7f) | (readVarint(in) << 7);
            if (tag == 0 || tag > Integer.MAX_VALUE) throw new IOException("bad protobuf tag " + tag);
            return (int) tag;
        }

        private static long readVarint(InputStream in) throws IOException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = in.read();
                if (b < 0) throw new IOException("truncated varint");
                v |= (long) (b & 0x7f) << shift;
                if (b < 0x80) return v;
            }
            throw new IOException("malformed varint");
        }

        private static int checkedLength(long len) throws IOException {
            if (len < 0 || len > Integer.MAX_VALUE) throw new IOException("bad field length " + len);
            return (int) len;
        }

        private static void skipField(InputStream in, int tag) throws IOException {
            switch (tag & 7) {
                case WIRE_VARINT -> readVarint(in);
                case WIRE_FIXED64 -> skipFully(in, 8);
                case WIRE_BYTES -> skipFully(in, checkedLength(readVarint(in)));
                case WIRE_FIXED32 -> skipFully(in, 4);
                default -> throw new IOException("unsupported wire type in tag " + tag);
            }
        }

        private static void skipFully(InputStream in, long n) throws IOException {
            while (n > 0) {
                long skipped = in.skip(n);
                if (skipped <= 0) throw new IOException("truncated ReadShard message");
                n -= skipped;
            }
        }
    }
}
