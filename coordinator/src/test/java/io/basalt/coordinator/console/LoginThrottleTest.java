package io.basalt.coordinator.console;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {

    final AtomicLong now = new AtomicLong(5_000_000);
    final LoginThrottle throttle = new LoginThrottle(now::get);

    @Test
    void anAddressThatKeepsFailingWaitsUntilItsFailuresAgeOut() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES - 1; i++) {
            assertTrue(throttle.allows("10.0.0.1"));
            throttle.failed("10.0.0.1");
            now.addAndGet(1000);
        }
        assertTrue(throttle.allows("10.0.0.1"), "nine failures within a minute are allowed another try");
        throttle.failed("10.0.0.1");
        assertFalse(throttle.allows("10.0.0.1"), "the tenth stops it");
        assertTrue(throttle.allows("10.0.0.2"), "other addresses are not slowed");
        now.addAndGet(LoginThrottle.WINDOW_MS - 9_000); // the first failure is now a minute old
        assertTrue(throttle.allows("10.0.0.1"));
    }

    @Test
    void aSuccessClearsTheFailures() {
        for (int i = 0; i < LoginThrottle.MAX_FAILURES; i++) throttle.failed("10.0.0.3");
        assertFalse(throttle.allows("10.0.0.3"));
        throttle.succeeded("10.0.0.3");
        assertTrue(throttle.allows("10.0.0.3"));
    }
}
