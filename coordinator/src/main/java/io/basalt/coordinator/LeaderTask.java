package io.basalt.coordinator;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Background work the leading coordinator does in passes: started when it is elected, stopped
 * when it loses leadership. A failed pass is logged and the next one runs on schedule.
 */
abstract class LeaderTask implements AutoCloseable {

    private static final Logger log = LogManager.getLogger(LeaderTask.class);

    private final String name;
    private final Duration firstDelay;
    private final Duration interval;
    private final ScheduledExecutorService timer;
    private ScheduledFuture<?> task;

    LeaderTask(String name, Duration firstDelay, Duration interval) {
        this.name = name;
        this.firstDelay = firstDelay;
        this.interval = interval;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** One pass of the work. */
    protected abstract void pass() throws Exception;

    /** Called (under the task's lock) just before passes start, e.g. to reset per-term state. */
    protected void onStart() {}

    synchronized void start() {
        if (task != null) return;
        onStart();
        task = timer.scheduleWithFixedDelay(
                this::passQuietly, firstDelay.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One extra pass after {@code delay}, between the regular ones (passes never overlap); none unless started. */
    synchronized void passAfter(Duration delay) {
        if (task != null) timer.schedule(this::passQuietly, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    synchronized void stop() {
        if (task != null) task.cancel(false);
        task = null;
    }

    private void passQuietly() {
        try {
            pass();
        } catch (Exception e) {
            log.warn("{} pass failed: {}", name, e.toString());
        }
    }

    @Override
    public void close() {
        stop();
        timer.shutdownNow();
    }
}
