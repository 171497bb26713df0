package io.basalt.gateway.handlers;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Buckets this gateway saw existing in the last moment. A PUT checks its bucket before taking
 * the body only to fail fast; the commit transaction checks it again and is what decides. So a
 * bucket seen a moment ago may skip the etcd read: if it was deleted meanwhile, the commit
 * fails and the shards just written are discarded. Never used where the answer is final.
 */
final class RecentBuckets {

    static final long TTL_NANOS = 2_000_000_000L;
    /** A gateway serves few buckets; past this many entries the map is simply cleared. */
    private static final int MAX_ENTRIES = 4096;

    private final ConcurrentHashMap<String, Long> seenAt = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;

    RecentBuckets() {
        this(System::nanoTime);
    }

    RecentBuckets(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    boolean seen(String bucket) {
        Long at = seenAt.get(bucket);
        return at != null && nanoClock.getAsLong() - at < TTL_NANOS;
    }

    void saw(String bucket) {
        if (seenAt.size() >= MAX_ENTRIES) seenAt.clear();
        seenAt.put(bucket, nanoClock.getAsLong());
    }

    void forget(String bucket) {
        seenAt.remove(bucket);
    }
}
