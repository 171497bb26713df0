package io.basalt.coordinator;

import io.basalt.core.meta.Keys;
import io.basalt.core.throttle.ByteRateLimiter;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The one pace for every byte the coordinator writes to new shards (heal, drain, rebalance),
 * so together they never take more than the operator allows. Re-reads
 * {@code config/heal-rate-mbps} (MB = 2^20 bytes) at most once a second, so an operator can slow
 * or speed the work without a restart; absent means the flag's default.
 */
final class HealRate {

    private static final Logger log = LogManager.getLogger(HealRate.class);
    private static final long REFRESH_MS = 1000;

    private final Client client;
    private final Keys keys;
    private final long defaultRate;
    private final ByteRateLimiter limiter;
    private long readAtMs;
    private String badSeen = "";

    /** @param bytesPerSecond the rate unless etcd's config/heal-rate-mbps says otherwise; 0: unlimited */
    HealRate(Client client, Keys keys, long bytesPerSecond) {
        this.client = client;
        this.keys = keys;
        this.defaultRate = bytesPerSecond;
        this.limiter = new ByteRateLimiter(bytesPerSecond);
    }

    /** The rate now, in bytes per second (0: unlimited). */
    long bytesPerSecond() {
        return limiter.bytesPerSecond();
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
        Optional<KeyValue> setting = get(keys.config("heal-rate-mbps"));
        if (setting.isPresent()) {
            String text = setting.get().getValue().toString(StandardCharsets.UTF_8).trim();
            try {
                double mb = Double.parseDouble(text);
                if (mb < 0 || Double.isNaN(mb)) throw new NumberFormatException("negative");
                rate = ByteRateLimiter.mbPerSecond(mb);
            } catch (NumberFormatException e) {
                if (!text.equals(badSeen)) log.warn("heal: ignoring {} = '{}': not a number of MB/s", keys.config("heal-rate-mbps"), text);
                badSeen = text;
            }
        }
        if (rate != limiter.bytesPerSecond()) {
            log.info("heal: rate limit now {} MB/s", rate == 0 ? "unlimited" : String.format(Locale.ROOT, "%.1f", rate / (double) (1 << 20)));
            limiter.setBytesPerSecond(rate);
        }
    }

    private Optional<KeyValue> get(String key) {
        try {
            return client.getKVClient().get(ByteSequence.from(key, StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS)
                    .getKvs().stream().findFirst();
        } catch (Exception e) {
            throw new IllegalStateException("etcd: " + e.getMessage(), e);
        }
    }
}
