package io.basalt.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
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
record WarmUp(int reps, double seconds, Map<String, Double> secondsOf) {
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
        if (reps < 0 || seconds < 0 || secondsOf.values().stream().anyMatch(v -> v < 0))
            throw new IllegalArgumentException("a warm-up is not negative");
        secondsOf = Map.copyOf(secondsOf);
    }

    WarmUp(int reps, double seconds) {
        this(reps, seconds, Map.of());
    }

    /**
     * {@code --warmup-seconds}: a time for every workload, and times for some of them, e.g. {@code 30,put=90} (PUT
     * runs first on a fresh cluster and its storage nodes compile the write path while it warms up, where the
     * workloads after it find them warm). {@code defaultSeconds} is the time when no plain number is given.
     */
    static WarmUp parse(int reps, String spec, double defaultSeconds) {
        double seconds = defaultSeconds;
        Map<String, Double> of = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq < 0) {
                seconds = Double.parseDouble(part.strip());
                continue;
            }
            String workload = part.substring(0, eq).strip();
            if (!Workloads.ALL.contains(workload))
                throw new IllegalArgumentException("--warmup-seconds: no workload " + workload);
            of.put(workload, Double.parseDouble(part.substring(eq + 1).strip()));
        }
        return new WarmUp(reps, seconds, of);
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

    /** The times given to single workloads, as {@code put 90 s, get 60 s}; empty when none was. */
    String ownTimes() {
        StringBuilder b = new StringBuilder();
        secondsOf.forEach((w, t) -> b.append(b.isEmpty() ? "" : ", ")
                .append(w)
                .append(' ')
                .append(String.format(Locale.ROOT, "%.0f", t))
                .append(" s"));
        return b.toString();
    }

    /** The seconds it warms {@code workload} for, at least: its own time where one was given. */
    double timed(String workload) {
        return reps == 0 ? 0 : secondsOf.getOrDefault(workload, seconds);
    }

    /** Whether a target that has run {@code done} warm-up repetitions of {@code workload}, in {@code spent} s, runs another. */
    boolean more(String workload, int done, double spent) {
        if (done < reps) return true;
        return !BY_REPETITIONS_ONLY.contains(workload) && spent < timed(workload) && done < MAX_REPS;
    }
}
