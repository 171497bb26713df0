package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WarmUpTest {
    /** Repetitions a target runs when each takes {@code each} seconds. */
    private static int runs(WarmUp warm, String workload, double each) {
        int done = 0;
        double spent = 0;
        while (warm.more(workload, done, spent)) {
            done++;
            spent += each;
        }
        return done;
    }

    @Test
    void shortRepetitionsRepeatUntilTheTimeIsSpent() {
        WarmUp warm = new WarmUp(1, 60);
        assertEquals(20, runs(warm, "get", 3.0), "3 s repetitions: 60 s is 20 of them");
        assertEquals(1, runs(warm, "milvus", 90.0), "one repetition longer than the time is enough");
        assertEquals(3, runs(warm, "put", 25.0), "the repetition that passes the time is the last");
    }

    @Test
    void theRepetitionsAskedForAlwaysRun() {
        assertEquals(4, runs(new WarmUp(4, 60), "get", 30.0));
        assertEquals(4, runs(new WarmUp(4, 0), "get", 1.0));
        assertEquals(2, runs(new WarmUp(2, 60), "heal", 1.0), "heal warms by repetitions only");
        assertEquals(1, runs(new WarmUp(1, 60), "faults", 1.0), "faults too");
    }

    @Test
    void noWarmUpMeansNone() {
        assertEquals(0, runs(new WarmUp(0, 60), "put", 1.0), "--warmup 0 runs none, whatever the time");
        assertFalse(new WarmUp(0, 60).more("get", 0, 0));
    }

    @Test
    void aRepetitionThatTakesNoTimeStillEnds() {
        assertEquals(WarmUp.MAX_REPS, runs(new WarmUp(1, 60), "list", 0.0));
        assertTrue(new WarmUp(1, 60).more("list", WarmUp.MAX_REPS - 1, 0));
    }

    @Test
    void negativeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new WarmUp(-1, 60));
        assertThrows(IllegalArgumentException.class, () -> new WarmUp(1, -1));
    }

    @Test
    void aWorkloadCanBeGivenItsOwnTime() {
        WarmUp warm = WarmUp.parse(1, "30,put=90", 0);
        assertEquals(9, runs(warm, "put", 10.0), "put: 90 s");
        assertEquals(3, runs(warm, "get", 10.0), "the others: 30 s");
        assertEquals(90, warm.timed("put"));
        assertEquals("put 90 s", warm.ownTimes());

        WarmUp onlyPut = WarmUp.parse(1, "put=60", 30);
        assertEquals(6, runs(onlyPut, "put", 10.0));
        assertEquals(3, runs(onlyPut, "multipart", 10.0), "no plain number: the default");
        assertEquals(0, runs(WarmUp.parse(0, "put=60", 30), "put", 10.0), "--warmup 0 still runs none");
        assertEquals(30, WarmUp.parse(1, "", 30).timed("get"));
        assertThrows(IllegalArgumentException.class, () -> WarmUp.parse(1, "30,pit=90", 30), "a typo is refused");
        assertThrows(IllegalArgumentException.class, () -> WarmUp.parse(1, "put=-1", 30));
    }
}
