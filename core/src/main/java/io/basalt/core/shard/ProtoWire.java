package io.basalt.core.shard;

import java.io.IOException;
import java.io.InputStream;

/**
 * The few protobuf wire-format reads the hand-written shard message parsers need (ReadShard responses
 * in the gateway, WriteShard requests on the node), which read chunk data without the generated copies.
 */
public final class ProtoWire {
    private static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    private ProtoWire() {}

    /** The next field's tag, or 0 at the end of the message. */
    public static int readTag(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) return 0;
        long tag = first < 0x80 ? first : (first & 0x7f) | (readVarint(in) << 7);
        if (tag == 0 || tag > Integer.MAX_VALUE) throw new IOException("bad protobuf tag " + tag);
        return (int) tag;
    }

    public static long readVarint(InputStream in) throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.read();
            if (b < 0) throw new IOException("truncated varint");
            v |= (long) (b & 0x7f) << shift;
            if (b < 0x80) return v;
        }
        throw new IOException("malformed varint");
    }

    /** A length-delimited field's length. */
    public static int readLength(InputStream in) throws IOException {
        long len = readVarint(in);
        if (len < 0 || len > Integer.MAX_VALUE) throw new IOException("bad field length " + len);
        return (int) len;
    }

    public static int readFixed32(InputStream in) throws IOException {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int b = in.read();
            if (b < 0) throw new IOException("truncated fixed32");
            v |= b << (8 * i);
        }
        return v;
    }

    public static void skipField(InputStream in, int tag) throws IOException {
        long n = switch (tag & 7) {
            case VARINT -> {
                readVarint(in);
                yield 0;
            }
            case FIXED64 -> 8;
            case LENGTH_DELIMITED -> readLength(in);
            case FIXED32 -> 4;
            default -> throw new IOException("unsupported wire type in tag " + tag);
        };
        while (n > 0) {
            long skipped = in.skip(n);
            if (skipped <= 0) throw new IOException("truncated protobuf message");
            n -= skipped;
        }
    }
}
