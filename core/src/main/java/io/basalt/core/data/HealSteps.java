package io.basalt.core.data;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where segment heals spend their wall time, summed over every heal since the last {@link #drain}:
 * one heal's latency is mostly waiting on round trips, so the split says which wait to shorten.
 * Shared by concurrent heals; each step adds the nanoseconds one heal spent in it.
 */
public final class HealSteps {

    /** The steps of one segment heal, in order. */
    public enum Step {
        /** reading the segment's record from etcd */
        FIND,
        /** opening the k shard streams and the writers */
        OPEN,
        /** waiting for k shards' chunks of a stripe */
        READ,
        /** Reed-Solomon reconstruction of the lost chunks */
        DECODE,
        /** handing chunks to the writers (blocks while the transport is full) */
        WRITE,
        /** from the last chunk sent to the node's ack: its fsync and rename */
        DURABLE,
        /** the rate limiter's wait */
        PACE,
        /** the etcd transaction naming the new shards (and queueing the stale copies as garbage) */
        TXN
    }

    private final Map<Step, LongAdder> nanos = new EnumMap<>(Step.class);
    private final LongAdder segments = new LongAdder();
    private final LongAdder bytes = new LongAdder();

    public HealSteps() {
        for (Step s : Step.values()) nanos.put(s, new LongAdder());
    }

    /** Adds the time since {@code startNanos} (a {@link System#nanoTime} reading) to {@code step}. */
    public void add(Step step, long startNanos) {
        addNanos(step, System.nanoTime() - startNanos);
    }

    public void addNanos(Step step, long nanoseconds) {
        nanos.get(step).add(nanoseconds);
    }

    /** One segment healed, {@code rebuiltBytes} written. */
    public void healed(long rebuiltBytes) {
        segments.increment();
        bytes.add(rebuiltBytes);
    }

    /** @return "N segments, B MB; ms per segment: find f, ..." since the last call, or "" when nothing was healed */
    public String drain() {
        long n = segments.sumThenReset();
        long b = bytes.sumThenReset();
        StringJoiner steps = new StringJoiner(", ");
        for (Step s : Step.values()) {
            long ns = nanos.get(s).sumThenReset();
            if (n > 0) steps.add(s.name().toLowerCase(Locale.ROOT) + " " + fmt(ns / 1e6 / n));
        }
        if (n == 0) return "";
        return n + " segments, " + fmt(b / 1e6) + " MB; ms per segment: " + steps;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
