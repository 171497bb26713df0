package io.basalt.bench;

import java.util.Set;

/**
 * How long a target runs a workload before its repetitions count: at least {@code reps} repetitions and, for the
 * workloads whose repetitions are a few seconds each, at least {@code seconds} of that workload's traffic. A
 * repetition of PUT or GET moves 1.7 GB in 3-10 s, and one of them left a Basalt cluster minutes old still
 * compiling: its six storage-node JVMs each see a sixth of the traffic, so each takes six times as long as a lone
 * server to reach its compiled code. From a fresh cluster, PUT rose from 101-113 to 190-244 MB/s over its first ten
 * such repetitions and GET alone from 413 to 770 MB/s over five minutes (docs/benchmark-log.md, thirty-ninth session). Every target gets
 * the same rule, whatever it needs.
 */
record WarmUp(int reps, double seconds) {
    /** Enough for any workload here: 30 s of multipart's 2.5 s repetitions is 12, of S3Proxy's 1 s GETs 30. */
    static final int MAX_REPS = 100;

    /**
     * The default time: a PUT of a fresh cluster was at 185 MB/s of its 190-240 after about 40 s, and GET, which runs
     * after PUT has warmed the shared code, settles sooner. Not longer, as a full run writes every warm-up's bytes
     * again: the Ceph peer's pool (48 GiB of OSDs, whose deletes RGW reclaims only after two hours) would hold about
     * 36 GiB of a full run with 30 s warm-ups and fill up with 60.
     */
    static final double DEFAULT_SECONDS = 30;

    /**
     * Workloads that warm up by repetitions alone: heal starts a cluster of its own in every repetition, and
     * faults runs phases of fixed length with faults of its own; more of either would only lengthen the run.
     */
    static final Set<String> BY_REPETITIONS_ONLY = Set.of("heal", "faults");

    WarmUp {
        if (reps < 0 || seconds < 0) throw new IllegalArgumentException("a warm-up is not negative");
    }

    /** What a target has run of a workload's warm-up: repetitions, and seconds of the workload's own traffic. */
    record Done(int reps, double seconds) {
        static final Done NONE = new Done(0, 0);

        Done plus(double more) {
            return new Done(reps + 1, seconds + more);
        }
    }

    /** The seconds it warms a workload for, at least: none with no repetition at all ({@code --warmup 0}). */
    double timed() {
        return reps == 0 ? 0 : seconds;
    }

    /** Whether a target that has run {@code done} warm-up repetitions of {@code workload}, in {@code spent} s, runs another. */
    boolean more(String workload, int done, double spent) {
        if (done < reps) return true;
        return !BY_REPETITIONS_ONLY.contains(workload) && spent < timed() && done < MAX_REPS;
    }
}
