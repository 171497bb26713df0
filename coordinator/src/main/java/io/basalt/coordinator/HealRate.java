package io.basalt.coordinator;

import io.basalt.core.meta.ClusterAdmin;
import io.basalt.core.throttle.ByteRateLimiter;
import java.util.Locale;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The one pace for every byte the coordinator writes to new shards (heal, drain, rebalance),
 * so together they never take more than the operator allows. Re-reads
 * {@code config/heal-rate-mbps} (MB = 2^20 bytes) at most once a second, so an operator can slow
 * or speed the work without a restart; absent means the flag's default. Likewise
 * {@code config/heal-parallelism}: how many segments the healer rebuilds at once (default
 * {@value #DEFAULT_PARALLELISM}), read at the start of each heal pass.
 */
final class HealRate {

    private static final Logger log = LogManager.getLogger(HealRate.class);
    private static final long REFRESH_MS = 1000;
    private static final String SETTING = "heal-rate-mbps";
    private static final String PARALLELISM = "heal-parallelism";
    static final int DEFAULT_PARALLELISM = 8;
    private static final int MAX_PARALLELISM = 64;

    private final ClusterAdmin admin;
    private final long defaultRate;
    private final ByteRateLimiter limiter;
    private long readAtMs;
    private String badSeen = "";
    private volatile int parallelism = DEFAULT_PARALLELISM;

    /** @param bytesPerSecond the rate unless etcd's config/heal-rate-mbps says otherwise; 0: unlimited */
    HealRate(ClusterAdmin admin, long bytesPerSecond) {
        this.admin = admin;
        this.defaultRate = bytesPerSecond;
        this.limiter = new ByteRateLimiter(bytesPerSecond);
    }

    /** The rate now, in bytes per second (0: unlimited). */
    long bytesPerSecond() {
        return limiter.bytesPerSecond();
    }

    /** Segments to heal at once, as of the last refresh. */
    int parallelism() {
        return parallelism;
    }

    /** Blocks until {@code bytes} just written fit the rate. */
    void pace(long bytes) {
        refresh(false);
        try {
            limiter.acquire(bytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized void refresh(boolean force) {
        long nowMs = System.currentTimeMillis();
        if (!force && nowMs - readAtMs < REFRESH_MS) return;
        readAtMs = nowMs;
        long rate = defaultRate;
        Optional<String> setting = admin.setting(SETTING);
        if (setting.isPresent()) {
            String text = setting.get().trim();
            try {
                double mb = Double.parseDouble(text);
                if (mb < 0 || Double.isNaN(mb)) throw new NumberFormatException("negative");
                rate = ByteRateLimiter.mbPerSecond(mb);
            } catch (NumberFormatException e) {
                if (!text.equals(badSeen))
                    log.warn("heal: ignoring config/{} = '{}': not a number of MB/s", SETTING, text);
                badSeen = text;
            }
        }
        parallelism = parallelismSetting();
        if (rate != limiter.bytesPerSecond()) {
            log.info(
                    "heal: rate limit now {} MB/s",
                    rate == 0 ? "unlimited" : String.format(Locale.ROOT, "%.1f", rate / (double) (1 << 20)));
            limiter.setBytesPerSecond(rate);
        }
    }

    private int parallelismSetting() {
        Optional<String> setting = admin.setting(PARALLELISM);
        if (setting.isEmpty()) return DEFAULT_PARALLELISM;
        String text = setting.get().trim();
        try {
            int n = Integer.parseInt(text);
            if (n < 1) throw new NumberFormatException("below 1");
            int bounded = Math.min(n, MAX_PARALLELISM);
            if (bounded != parallelism) log.info("heal: {} segments at once", bounded);
            return bounded;
        } catch (NumberFormatException e) {
            if (!text.equals(badSeen))
                log.warn("heal: ignoring config/{} = '{}': not a count of at least 1", PARALLELISM, text);
            badSeen = text;
            return DEFAULT_PARALLELISM;
        }
    }
}
