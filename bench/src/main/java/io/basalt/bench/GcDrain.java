package io.basalt.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Waits for the Basalt the bench started to have collected its garbage, after a workload's warm-up and before its
 * counted repetitions. Why: a warm-up rewrites its keys, and the shards of what it overwrote are deleted once the
 * cluster's GC grace has passed. With the default five minutes, that work landed in whichever repetition ran five
 * minutes later (the forty-first session's full run: Basalt's third PUT repetition at 137 MB/s and 11.8 CPU-s/GB
 * beside 209-234 and 6.8-7.9, its storage nodes' JIT compiling the delete path and its coordinator collecting),
 * while Ceph's RGW defers the same work for two hours, out of every run. So the bench's cluster runs with a short grace ({@link
 * LocalProcesses#GC_GRACE}) and this waits until its coordinator's gc/ queue is empty.
 */
final class GcDrain {
    /** Longer than the bench cluster's grace and a few of the collector's rounds (about 10 s each). */
    static final long LIMIT_MS = 120_000;

    private static final String GAUGE = "basalt_gc_queue_length";

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private GcDrain() {}

    /**
     * Returns once {@code t}'s gc/ queue is empty, or after {@code limitMillis}: the seconds it waited. A target whose
     * coordinator's metrics the bench does not know (any but the Basalt it started) is not waited for.
     */
    static double await(Target t, long limitMillis) throws InterruptedException {
        if (t.coordinatorMetrics == null) return 0;
        long start = System.nanoTime();
        long deadline = start + limitMillis * 1_000_000;
        while (queueLength(t.coordinatorMetrics) > 0 && System.nanoTime() < deadline) Thread.sleep(1_000);
        return (System.nanoTime() - start) / 1e9;
    }

    /** The gauge's value at {@code metrics}, or -1 when it cannot be read (not waited for). */
    static long queueLength(URI metrics) throws InterruptedException {
        try {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(metrics)
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? parse(r.body()) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /** The gc/ queue's length in a Prometheus text exposition, or -1 when it has none or does not know it. */
    static long parse(String exposition) {
        for (String line : exposition.split("\n")) {
            if (!line.startsWith(GAUGE + " ")) continue;
            double v = Double.parseDouble(line.substring(GAUGE.length() + 1).strip());
            return Double.isNaN(v) ? -1 : (long) v; // NaN: etcd did not answer the coordinator's count
        }
        return -1;
    }
}
