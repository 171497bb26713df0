package io.basalt.coordinator.console;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Signed-in keys, held only in this process's memory: the cookie carries a random 256-bit id, never the
 * key or its secret. A session unused for the idle time is dropped; a restart signs everyone out.
 */
final class Sessions {

    /** At most this many sessions at once: logins past it push out the least recently used. */
    static final int MAX = 1000;

    private final SecureRandom random = new SecureRandom();
    private final Map<String, ConsoleSession> byId = new ConcurrentHashMap<>();
    private final long idleMs;
    private final LongSupplier clockMs;

    Sessions(Duration idle, LongSupplier clockMs) {
        this.idleMs = idle.toMillis();
        this.clockMs = clockMs;
    }

    /** A new session for a key the gateway accepted; returns its id for the cookie. */
    String open(ConsoleKey key) {
        expire();
        if (byId.size() >= MAX) {
            byId.entrySet().stream()
                    .min((a, b) ->
                            Long.compare(a.getValue().lastUsedMs(), b.getValue().lastUsedMs()))
                    .ifPresent(e -> byId.remove(e.getKey()));
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        byId.put(id, new ConsoleSession(key, clockMs.getAsLong()));
        return id;
    }

    /** The live session of {@code id}, marked as used now; empty for an unknown or expired id. */
    Optional<ConsoleSession> find(String id) {
        if (id == null) return Optional.empty();
        ConsoleSession s = byId.get(id);
        if (s == null) return Optional.empty();
        long now = clockMs.getAsLong();
        if (now - s.lastUsedMs() > idleMs) {
            byId.remove(id, s);
            return Optional.empty();
        }
        s.touch(now);
        return Optional.of(s);
    }

    void close(String id) {
        if (id != null) byId.remove(id);
    }

    int size() {
        return byId.size();
    }

    private void expire() {
        long now = clockMs.getAsLong();
        byId.values().removeIf(s -> now - s.lastUsedMs() > idleMs);
    }
}
