package io.basalt.chaos;

import java.util.Map;

/**
 * One client request as the client saw it. Writes carry the (seed, size) of the body they sent; reads
 * what came back. Times are System.nanoTime().
 */
public record Op(
        long id,
        int thread,
        Type type,
        String key,
        long start,
        long end,
        Outcome outcome,
        long seed,
        int size,
        String etag,
        String hash,
        long rangeStart,
        long total,
        Map<String, Listed> listed,
        String error,
        boolean fin) {

    public enum Type {
        PUT,
        MPU,
        DELETE,
        GET,
        RANGE_GET,
        LIST;

        public boolean write() {
            return this == PUT || this == MPU || this == DELETE;
        }
    }

    /** OK: 2xx. NOT_FOUND: 404 NoSuchKey. BAD_RANGE: 416. FAIL: anything else (error status, timeout, connection). */
    public enum Outcome {
        OK,
        NOT_FOUND,
        BAD_RANGE,
        FAIL
    }

    public record Listed(long size, String etag) {}

    public long micros() {
        return (end - start) / 1_000;
    }

    public String describe(long t0) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                "#%d t%d %-9s %-10s [%.3f..%.3f s] %s",
                id, thread, type, key, (start - t0) / 1e9, (end - t0) / 1e9, outcome));
        if (type == Type.PUT || type == Type.MPU)
            sb.append(" seed=").append(seed).append(" size=").append(size);
        if (etag != null) sb.append(" etag=").append(etag);
        if (hash != null) sb.append(" sha=").append(hash).append(" total=").append(total);
        if (type == Type.RANGE_GET)
            sb.append(" range@").append(rangeStart).append("+").append(size);
        if (listed != null) sb.append(" listed=").append(listed);
        if (error != null) sb.append(" err=").append(error);
        if (fin) sb.append(" (final)");
        return sb.toString();
    }
}
