package io.basalt.bench;

import io.basalt.testkit.PrometheusText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Watches, through a storage node's metrics, what the node makes of one of its dirs while it hangs:
 * when it first reported the dir suspect (new shards go elsewhere, its own shards fail at once) and
 * when it took the dir out for good, counted from the hang. A scrape that does not answer within a
 * second is counted too: the node promises that a scrape never waits on a hung disk.
 */
final class DirWatch implements AutoCloseable {
    enum State {
        HEALTHY,
        SUSPECT,
        FAILED,
        /** the node does not list the dir (or did not answer) */
        UNKNOWN
    }

    private static final Duration EVERY = Duration.ofMillis(250);
    private static final Duration SCRAPE_TIMEOUT = Duration.ofSeconds(1);

    private final URI metrics;
    private final Path dir;
    private final long startNanos;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(SCRAPE_TIMEOUT).build();
    private final Thread poller;
    private volatile double suspectAfter = Double.NaN;
    private volatile double failedAfter = Double.NaN;
    private volatile int slowScrapes;

    /** @param metricsListen the node's {@code --metrics-listen HOST:PORT} */
    DirWatch(String metricsListen, Path dir) {
        if (metricsListen == null)
            throw new IllegalArgumentException("the node serves no metrics (no --metrics-listen)");
        this.metrics = URI.create("http://" + metricsListen + "/metrics");
        this.dir = dir;
        this.startNanos = System.nanoTime();
        this.poller = Thread.ofPlatform().daemon().name("faults-dir-watch").start(this::poll);
    }

    /** The dir's state in a node's metrics text. */
    static State state(String metricsText, Path dir) {
        PrometheusText m = PrometheusText.parse(metricsText);
        String label = dir.toString();
        double healthy = m.value("basalt_node_data_dir_healthy", "dir", label);
        if (healthy == 0) return State.FAILED;
        if (healthy != 1) return State.UNKNOWN;
        return m.value("basalt_node_data_dir_suspect", "dir", label) == 1 ? State.SUSPECT : State.HEALTHY;
    }

    private void poll() {
        HttpRequest get =
                HttpRequest.newBuilder(metrics).timeout(SCRAPE_TIMEOUT).build();
        while (!Thread.currentThread().isInterrupted()) {
            State s;
            try {
                s = state(http.send(get, HttpResponse.BodyHandlers.ofString()).body(), dir);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                slowScrapes++;
                s = State.UNKNOWN;
            }
            double at = (System.nanoTime() - startNanos) / 1e9;
            // a failed dir was suspect first, unless the node went straight to failing it
            if ((s == State.SUSPECT || s == State.FAILED) && Double.isNaN(suspectAfter)) suspectAfter = at;
            if (s == State.FAILED && Double.isNaN(failedAfter)) failedAfter = at;
            try {
                Thread.sleep(EVERY);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Seconds from the hang until the node first reported the dir suspect (or failed); NaN if it never did. */
    double suspectAfterSeconds() {
        return suspectAfter;
    }

    /** Seconds from the hang until the node reported the dir failed; NaN if it never did. */
    double failedAfterSeconds() {
        return failedAfter;
    }

    /** Scrapes that failed or took longer than a second. */
    int slowScrapes() {
        return slowScrapes;
    }

    @Override
    public void close() throws InterruptedException {
        poller.interrupt();
        poller.join(5_000);
        http.close();
    }
}
