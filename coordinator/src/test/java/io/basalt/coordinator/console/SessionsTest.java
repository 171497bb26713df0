package io.basalt.coordinator.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SessionsTest {

    final AtomicLong now = new AtomicLong(1_000_000);
    final Sessions sessions = new Sessions(Duration.ofMinutes(30), now::get);

    @Test
    void aSessionIsFoundByItsRandomIdUntilItIdlesOut() {
        String a = sessions.open(new ConsoleKey("AK1", "secret-1"));
        String b = sessions.open(new ConsoleKey("AK1", "secret-1"));
        assertNotEquals(a, b, "every sign-in gets an id of its own");
        assertEquals(43, a.length(), "256 random bits, base64url");
        assertEquals("AK1", sessions.find(a).orElseThrow().key().accessKey());
        now.addAndGet(Duration.ofMinutes(29).toMillis());
        assertTrue(sessions.find(a).isPresent(), "use keeps it alive");
        now.addAndGet(Duration.ofMinutes(29).toMillis());
        assertTrue(sessions.find(a).isPresent(), "29 minutes after its last use");
        now.addAndGet(Duration.ofMinutes(31).toMillis());
        assertTrue(sessions.find(a).isEmpty(), "idle past 30 minutes: gone");
        assertTrue(sessions.find("made-up").isEmpty());
        assertTrue(sessions.find(null).isEmpty());
    }

    @Test
    void signingOutEndsTheSessionAndTheirNumberIsBounded() {
        String a = sessions.open(new ConsoleKey("AK1", "s"));
        sessions.close(a);
        assertTrue(sessions.find(a).isEmpty());
        for (int i = 0; i < Sessions.MAX + 10; i++) {
            now.incrementAndGet();
            sessions.open(new ConsoleKey("AK" + i, "s"));
        }
        assertEquals(Sessions.MAX, sessions.size(), "the least recently used give way");
    }

    @Test
    void aKeyNeverPrintsItsSecret() {
        assertTrue(!new ConsoleKey("AK1", "very-secret").toString().contains("very-secret"));
    }
}
