package io.basalt.coordinator.console;

/**
 * One signed-in key. Its secret stays here, on the server: the page only ever holds the session cookie
 * (HttpOnly), so no script in it can read the secret.
 */
final class ConsoleSession {

    private final ConsoleKey key;
    private volatile long lastUsedMs;

    ConsoleSession(ConsoleKey key, long nowMs) {
        this.key = key;
        this.lastUsedMs = nowMs;
    }

    ConsoleKey key() {
        return key;
    }

    long lastUsedMs() {
        return lastUsedMs;
    }

    void touch(long nowMs) {
        lastUsedMs = nowMs;
    }
}
