package io.basalt.coordinator;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.basalt.core.meta.ClusterAdmin;
import io.basalt.core.throttle.ByteRateLimiter;
import java.lang.management.ManagementFactory;
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
 * {@value #DEFAULT_PARALLELISM}), read at the start of each heal pass, never more than the
 * JVM's direct memory holds ({@link #MEMORY_BOUND}).
 */
final class HealRate {

    private static final Logger log = LogManager.getLogger(HealRate.class);
    private static final long REFRESH_MS = 1000;
    private static final String SETTING = io.basalt.coordinator.admin.AdminRequests.HEAL_RATE_SETTING;
    private static final String PARALLELISM = "heal-parallelism";
    static final int DEFAULT_PARALLELISM = 8;
    private static final int MAX_PARALLELISM = 64;
    /**
     * Direct memory one segment heal may hold: its k to k+m read streams' windows (4 MiB per read
     * in all) and 1 MiB of flow-control window each, and its rebuilt shards queued to their new
     * nodes, with room for the allocator's 2 MiB chunks. Measured: a 128 MiB coordinator healing 7
     * at once grew its pool to 96 MiB in one heal and ran out in another, so 24 MiB, not the 16 of
     * the sum above.
     */
    static final long DIRECT_BYTES_PER_SEGMENT = 24L << 20;
    /** Segments at once that this JVM's direct memory holds; a higher setting is lowered to it. */
    static final int MEMORY_BOUND = memoryBound(maxDirectMemory());

    private final ClusterAdmin admin;
    private final long defaultRate;
    private final ByteRateLimiter limiter;
    private long readAtMs;
    private String badSeen = "";
    private volatile int parallelism = Math.min(DEFAULT_PARALLELISM, MEMORY_BOUND);

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
        if (setting.isEmpty()) return Math.min(DEFAULT_PARALLELISM, MEMORY_BOUND);
        String text = setting.get().trim();
        try {
            int n = Integer.parseInt(text);
            if (n < 1) throw new NumberFormatException("below 1");
            int bounded = Math.min(Math.min(n, MAX_PARALLELISM), MEMORY_BOUND);
            if (bounded != parallelism) {
                log.info(
                        "heal: {} segments at once{}",
                        bounded,
                        bounded < Math.min(n, MAX_PARALLELISM)
                                ? " (config asks " + n + "; the direct memory of " + (maxDirectMemory() >> 20)
                                        + " MiB holds " + MEMORY_BOUND + ")"
                                : "");
            }
            return bounded;
        } catch (NumberFormatException e) {
            if (!text.equals(badSeen))
                log.warn("heal: ignoring config/{} = '{}': not a count of at least 1", PARALLELISM, text);
            badSeen = text;
            return Math.min(DEFAULT_PARALLELISM, MEMORY_BOUND);
        }
    }

    static int memoryBound(long directBytes) {
        return (int) Math.clamp(directBytes / DIRECT_BYTES_PER_SEGMENT, 1, MAX_PARALLELISM);
    }

    /** -XX:MaxDirectMemorySize, or the heap's maximum it defaults to (0 or absent). */
    static long maxDirectMemory() {
        try {
            String v = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("MaxDirectMemorySize")
                    .getValue();
            long bytes = Long.parseLong(v);
            if (bytes > 0) return bytes;
        } catch (RuntimeException notHotSpot) {
            // fall through to the default
        }
        return Runtime.getRuntime().maxMemory();
    }
}
