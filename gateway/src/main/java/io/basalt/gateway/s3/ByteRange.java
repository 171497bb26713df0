package io.basalt.gateway.s3;

/**
 * An HTTP Range header resolved against an object's size: {@code bytes=a-b}, {@code bytes=a-}
 * or {@code bytes=-n}. Like S3, a header it cannot parse (or a multi-range) is ignored and the
 * whole object is served; a range starting past the end is InvalidRange.
 */
public record ByteRange(long start, long length) {

    /** @return null when the whole object is to be served */
    public static ByteRange parse(String header, long size) {
        if (header == null) return null;
        String h = header.trim();
        if (!h.startsWith("bytes=") || h.indexOf(',') >= 0) return null;
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) return null;
        String a = spec.substring(0, dash).trim(), b = spec.substring(dash + 1).trim();
        try {
            if (a.isEmpty()) {
                if (b.isEmpty()) return null;
                long n = Long.parseLong(b);
                if (n < 0) return null;
                if (n == 0 || size == 0) throw unsatisfiable();
                long len = Math.min(n, size);
                return new ByteRange(size - len, len);
            }
            long start = Long.parseLong(a);
            long end = b.isEmpty() ? size - 1 : Long.parseLong(b);
            if (start < 0 || end < start) return null;
            if (start >= size) throw unsatisfiable();
            end = Math.min(end, size - 1);
            return new ByteRange(start, end - start + 1);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public long end() {
        return start + length - 1;
    }

    private static S3Exception unsatisfiable() {
        return new S3Exception(S3Error.INVALID_RANGE);
    }
}
