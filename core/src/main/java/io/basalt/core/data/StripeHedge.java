package io.basalt.core.data;

import io.basalt.core.cluster.AdaptiveDelay;

/**
 * When a read of an erasure-coded segment stops waiting for a slow data shard and decodes the
 * rest from parity instead: after {@link AdaptiveDelay#stripeHedge} (1.5 times the 99th
 * percentile of recent waits for a shard's next message, within [10 ms, 1 s]), and only while hedges stay under 5% of the streams opened, so a
 * cluster that is slow everywhere is not made slower by reads that each ask one more shard.
 */
final class StripeHedge {

    /** Hedges allowed per stream opened, and how many may be saved up for a burst. */
    private static final double SHARE = 0.05;

    private static final double BURST = 10;

    final AdaptiveDelay delay = AdaptiveDelay.stripeHedge();
    private double tokens = BURST;

    synchronized void opened(int streams) {
        tokens = Math.min(BURST, tokens + SHARE * streams);
    }

    /** Takes one hedge from the budget; false when it is spent. */
    synchronized boolean tryHedge() {
        if (tokens < 1) return false;
        tokens -= 1;
        return true;
    }
}
