package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PhaseLatenciesTest {
    private static final String BASE = FaultsWorkload.NO_FAULT;
    private static final String PAUSED = FaultsWorkload.NODE_PAUSED;

    /** 1000 operations of 1..1000 ms in the baseline; the paused phase the same plus a 3 s tail. */
    private static PhaseLatencies sample() {
        PhaseLatencies l = new PhaseLatencies(List.of(BASE, PAUSED), List.of("GET 4 KiB", "PUT 4 KiB"));
        for (int ms = 1; ms <= 1000; ms++) {
            l.record(BASE, "GET 4 KiB", ms * 1000L);
            l.record(PAUSED, "GET 4 KiB", (ms > 990 ? 3000 : ms) * 1000L);
        }
        l.record(BASE, "PUT 4 KiB", 5000);
        l.error(PAUSED, "PUT 4 KiB");
        return l;
    }

    @Test
    void percentilesPerPhaseAndKindInMilliseconds() {
        PhaseLatencies l = sample();
        assertEquals(500, l.ms(BASE, "GET 4 KiB", 50), 1);
        assertEquals(990, l.ms(BASE, "GET 4 KiB", 99), 1);
        assertEquals(999, l.ms(BASE, "GET 4 KiB", 99.9), 1);
        assertEquals(3000, l.ms(PAUSED, "GET 4 KiB", 99.9), 3);
        assertEquals(1000, l.count(PAUSED, "GET 4 KiB"));
        assertTrue(Double.isNaN(l.ms(PAUSED, "PUT 4 KiB", 50)), "a kind that never succeeded has no latency");
        assertEquals(1, l.errors(PAUSED, "PUT 4 KiB"));
        assertEquals(0, l.errors(BASE, "PUT 4 KiB"));
    }

    @Test
    void figuresHaveEachPercentileOverTheBaselineForLaterPhasesOnly() {
        Figures f = new Figures();
        sample().addTo(f, BASE);
        assertEquals(999, f.all.get("no fault: GET 4 KiB p999 ms").value(), 1);
        assertEquals(
                3000.0 / 999,
                f.all.get("node paused: GET 4 KiB p999 x no fault").value(),
                0.01);
        assertEquals(1, f.all.get("node paused: GET 4 KiB p50 x no fault").value(), 0.01);
        assertFalse(f.all.containsKey("no fault: GET 4 KiB p999 x no fault"));
        assertEquals(1, f.all.get("node paused: PUT 4 KiB errors").value());
        assertEquals(1000, f.all.get("node paused: GET 4 KiB ops").value());
        assertEquals("x", f.all.get("node paused: GET 4 KiB p99 x no fault").unit());
        // 3 percentiles, ops and errors per phase and kind, plus 3 ratios per kind of the paused phase
        assertEquals(2 * 2 * 5 + 2 * 3, f.all.size());
    }

    @Test
    void aPhaseThatRanNothingAddsNoFigures() {
        String hung = FaultsWorkload.DIR_HUNG;
        PhaseLatencies l = new PhaseLatencies(List.of(BASE, PAUSED, hung), List.of("GET 4 KiB"));
        l.record(BASE, "GET 4 KiB", 1000);
        l.error(PAUSED, "GET 4 KiB"); // an error is something that ran
        assertTrue(l.ran(PAUSED));
        assertFalse(l.ran(hung));
        Figures f = new Figures();
        l.addTo(f, BASE);
        assertTrue(f.all.containsKey("node paused: GET 4 KiB errors"));
        assertTrue(
                f.all.keySet().stream().noneMatch(k -> k.startsWith(hung)),
                f.all.keySet().toString());
    }
}
