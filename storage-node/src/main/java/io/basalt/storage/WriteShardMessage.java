package io.basalt.storage;

import io.basalt.core.shard.ProtoWire;
import io.basalt.proto.shard.Chunk;
import io.basalt.proto.shard.ShardServiceGrpc;
import io.basalt.proto.shard.WriteShardHeader;
import io.basalt.proto.shard.WriteShardRequest;
import io.basalt.proto.shard.WriteShardResponse;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One WriteShard request as the node receives it: a header, or a chunk whose data are views of the
 * transport's own (direct) buffers. The generated parser copies a chunk twice into fresh heap arrays
 * (and then FileChannel copies it once more into a direct buffer); this one copies nothing, so the
 * chunk's bytes are read only by the CRC check and by the kernel's write. The wire format is
 * WriteShardRequest's: clients are unchanged.
 *
 * <p>A chunk holds the transport's buffers until {@link #close()}; each message must be closed once.
 */
final class WriteShardMessage implements AutoCloseable {

    /** WriteShard with this message as its request type instead of WriteShardRequest. */
    static final MethodDescriptor<WriteShardMessage, WriteShardResponse> WRITE_SHARD =
            ShardServiceGrpc.getWriteShardMethod().toBuilder(
                            new Marshaller(), ProtoUtils.marshaller(WriteShardResponse.getDefaultInstance()))
                    .build();

    private static final ByteBuffer[] NO_DATA = new ByteBuffer[0];

    private final WriteShardHeader header; // null for a chunk
    private final ByteBuffer[] data;
    private final int crc32c;
    private final Closeable owner; // holds the transport buffers data points into; null when copied
    private final boolean hasChunk;

    private WriteShardMessage(
            WriteShardHeader header, boolean hasChunk, ByteBuffer[] data, int crc32c, Closeable owner) {
        this.header = header;
        this.hasChunk = hasChunk;
        this.data = data;
        this.crc32c = crc32c;
        this.owner = owner;
    }

    /** A stream's header, as the data port receives it. */
    static WriteShardMessage header(WriteShardHeader header) {
        return new WriteShardMessage(header, false, NO_DATA, 0, null);
    }

    /** A chunk whose bytes are views of a transport's buffers, which {@code owner} gives back on {@link #close}. */
    static WriteShardMessage chunk(ByteBuffer[] data, int crc32c, Closeable owner) {
        return new WriteShardMessage(null, true, data, crc32c, owner);
    }

    /** The header, or null when this message is not one. */
    WriteShardHeader header() {
        return header;
    }

    boolean isChunk() {
        return hasChunk;
    }

    /** The chunk's bytes, as views valid until {@link #close()}; read them with duplicates or absolute gets. */
    ByteBuffer[] data() {
        return data;
    }

    /** The chunk's bytes in all. */
    long size() {
        long n = 0;
        for (ByteBuffer b : data) n += b.remaining();
        return n;
    }

    int crc32c() {
        return crc32c;
    }

    /** Gives the transport's buffers back; safe to call more than once. */
    @Override
    public void close() {
        if (owner != null) {
            try {
                owner.close();
            } catch (IOException e) {
                // releasing pooled buffers does not fail; nothing to report
            }
        }
    }

    /** Parses the protobuf wire format of WriteShardRequest, keeping the chunk data where it arrived. */
    static final class Marshaller implements MethodDescriptor.Marshaller<WriteShardMessage> {

        @Override
        public InputStream stream(WriteShardMessage value) {
            throw new UnsupportedOperationException("WriteShard requests are only received");
        }

        @Override
        public WriteShardMessage parse(InputStream in) {
            // Detached, the message's buffers outlive this call; marked, those the parse moves past
            // are kept rather than released, so the views into them stay valid until close().
            InputStream owner = null;
            if (in instanceof Detachable d && in instanceof HasByteBuffer hb && hb.byteBufferSupported()) {
                owner = d.detach();
                owner.mark(Integer.MAX_VALUE);
            }
            try {
                // the copying fallback (a transport without buffer access) parses from an exact-length copy
                InputStream src = owner != null ? owner : new ByteArrayInputStream(in.readAllBytes());
                return parseRequest(src, owner);
            } catch (IOException | RuntimeException e) {
                closeQuietly(owner);
                throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
            }
        }

        private static WriteShardMessage parseRequest(InputStream in, InputStream owner) throws IOException {
            WriteShardHeader header = null;
            boolean hasChunk = false;
            ByteBuffer[] data = NO_DATA;
            int crc = 0;
            int tag;
            while ((tag = ProtoWire.readTag(in)) != 0) {
                switch (tag >>> 3) {
                    case WriteShardRequest.HEADER_FIELD_NUMBER -> {
                        header = WriteShardHeader.parseFrom(in.readNBytes(ProtoWire.readLength(in)));
                        hasChunk = false;
                    }
                    case WriteShardRequest.CHUNK_FIELD_NUMBER -> {
                        // a oneof: the last body on the wire wins, as in the generated parser
                        header = null;
                        hasChunk = true;
                        int length = ProtoWire.readLength(in);
                        long end = (long) in.available() - length;
                        while (in.available() > end) {
                            int field = ProtoWire.readTag(in);
                            switch (field >>> 3) {
                                case Chunk.DATA_FIELD_NUMBER -> data = readBytes(in, ProtoWire.readLength(in), owner);
                                case Chunk.CRC32C_FIELD_NUMBER -> crc = ProtoWire.readFixed32(in);
                                default -> ProtoWire.skipField(in, field);
                            }
                        }
                        if (in.available() != end) throw new IOException("chunk field overruns its length");
                    }
                    default -> ProtoWire.skipField(in, tag);
                }
            }
            return new WriteShardMessage(header, hasChunk, data, crc, owner);
        }

        /** Views of the next {@code length} bytes when {@code owner} keeps them alive, else a copy. */
        private static ByteBuffer[] readBytes(InputStream in, int length, InputStream owner) throws IOException {
            if (in.available() < length) throw new IOException("WriteShard message shorter than its data field");
            if (owner == null) {
                return new ByteBuffer[] {ByteBuffer.wrap(in.readNBytes(length))};
            }
            List<ByteBuffer> views = new ArrayList<>(length / (16 << 10) + 2);
            HasByteBuffer buffers = (HasByteBuffer) owner;
            int left = length;
            boolean stepped = false;
            while (left > 0) {
                ByteBuffer b = buffers.getByteBuffer();
                int n = b == null ? 0 : Math.min(b.remaining(), left);
                if (n > 0) {
                    views.add(b.slice(b.position(), n));
                    left -= n;
                    stepped = false;
                } else if (stepped) {
                    throw new IOException("WriteShard message shorter than its data field");
                } else {
                    stepped = true; // skip(0) steps over a drained buffer to the next
                }
                in.skip(n);
            }
            return views.toArray(NO_DATA);
        }

        private static void closeQuietly(InputStream s) {
            if (s == null) return;
            try {
                s.close();
            } catch (IOException ignored) {
                // releasing pooled buffers does not fail
            }
        }
    }
}
