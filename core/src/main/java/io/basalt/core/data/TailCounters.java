package io.basalt.core.data;

import java.util.concurrent.atomic.LongAdder;

/** Counts of reads and writes that went around a slow node instead of waiting for it. */
public final class TailCounters {

    private final LongAdder hedges = new LongAdder();
    private final LongAdder hedgesWon = new LongAdder();
    private final LongAdder droppedLate = new LongAdder();
    private final LongAdder quorumWrites = new LongAdder();
    private final LongAdder pastQuorumNanos = new LongAdder();
    private final LongAdder settledAfterAnswer = new LongAdder();
    private final LongAdder keptLate = new LongAdder();

    void hedged(boolean won) {
        hedges.increment();
        if (won) hedgesWon.increment();
    }

    void shardDroppedLate() {
        droppedLate.increment();
    }

    void shardKeptLate() {
        keptLate.increment();
    }

    void writeSettledAfterAnswer() {
        settledAfterAnswer.increment();
    }

    void waitedPastQuorum(long nanos) {
        quorumWrites.increment();
        pastQuorumNanos.add(nanos);
    }

    /** Reads that asked another shard or copy because the first had not answered in time. */
    public long hedges() {
        return hedges.sum();
    }

    /** Of those, the ones the other shard or copy served. */
    public long hedgesWon() {
        return hedgesWon.sum();
    }

    /**
     * Shards a write gave up on (to be healed) for trailing its durable quorum past the grace, or past {@link
     * SegmentEncoder#AFTER_ANSWER_PATIENCE_MS} for a write answered already that waited longer.
     */
    public long droppedLate() {
        return droppedLate.sum();
    }

    /** Segments written that reached their write quorum. */
    public long quorumWrites() {
        return quorumWrites.sum();
    }

    /**
     * Microseconds those writes spent, after their quorum was durable, waiting for their other shards
     * (acknowledged or given up after the grace): what committing the record at the quorum, beside that wait,
     * could save.
     */
    public long microsPastQuorum() {
        return pastQuorumNanos.sum() / 1000;
    }

    /**
     * Committed writes answered before their trailing shards settled, as those were all on nodes found slow a
     * moment ago ({@link DataPath#settle}); their wait past the quorum is counted above all the same.
     */
    public long settledAfterAnswer() {
        return settledAfterAnswer.sum();
    }

    /**
     * Shards durable past the grace that were kept rather than healed, by writes answered already, which wait
     * longer ({@link DataPath#settle}).
     */
    public long keptLate() {
        return keptLate.sum();
    }
}
