package io.basalt.coordinator.console;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Slows guessing of secrets: a client address with {@link #MAX_FAILURES} failed sign-ins within
 * {@link #WINDOW_MS} is refused until the oldest of them is that old. (The gateway itself answers each
 * guess; this keeps the console from being a faster way to make them.)
 */
final class LoginThrottle {

    static final int MAX_FAILURES = 10;
    static final long WINDOW_MS = 60_000;
    /** Addresses tracked at once; past it the map is cleared rather than grown (a flood of addresses). */
    static final int MAX_ADDRESSES = 10_000;

    private final LongSupplier clockMs;
    private final Map<String, Deque<Long>> failures = new HashMap<>();

    LoginThrottle(LongSupplier clockMs) {
        this.clockMs = clockMs;
    }

    /** Whether {@code address} may try to sign in now. */
    synchronized boolean allows(String address) {
        Deque<Long> f = failures.get(address);
        if (f == null) return true;
        prune(f, clockMs.getAsLong());
        if (f.isEmpty()) failures.remove(address);
        return f.size() < MAX_FAILURES;
    }

    synchronized void failed(String address) {
        if (failures.size() >= MAX_ADDRESSES && !failures.containsKey(address)) failures.clear();
        Deque<Long> f = failures.computeIfAbsent(address, a -> new ArrayDeque<>());
        long now = clockMs.getAsLong();
        prune(f, now);
        f.addLast(now);
    }

    synchronized void succeeded(String address) {
        failures.remove(address);
    }

    private static void prune(Deque<Long> f, long now) {
        while (!f.isEmpty() && now - f.peekFirst() >= WINDOW_MS) f.removeFirst();
    }
}
