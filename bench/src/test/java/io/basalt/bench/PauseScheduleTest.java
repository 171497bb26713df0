package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class PauseScheduleTest {
    @Test
    void twoSecondsOfEveryTenMidPeriod() {
        PauseSchedule s = new PauseSchedule(10, 2, 4);
        assertEquals(List.of(new PauseSchedule.Window(4, 6), new PauseSchedule.Window(14, 16)), s.windows(20));
        assertEquals(4, s.pausedSeconds(20));
        assertEquals(6, s.windows(60).size());
        assertEquals(new PauseSchedule.Window(54, 56), s.windows(60).getLast());
    }

    @Test
    void keepsOnlyPausesThatEndInsideThePhase() {
        PauseSchedule s = new PauseSchedule(10, 2, 8);
        assertEquals(List.of(new PauseSchedule.Window(8, 10)), s.windows(19.9));
        assertEquals(2, s.windows(20).size(), "a pause ending exactly at the phase's end is kept");
        assertEquals(List.of(), s.windows(9));
    }

    @Test
    void rejectsAPauseThatDoesNotFitItsPeriod() {
        assertThrows(IllegalArgumentException.class, () -> new PauseSchedule(10, 2, 9));
        assertThrows(IllegalArgumentException.class, () -> new PauseSchedule(10, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new PauseSchedule(0, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> new PauseSchedule(10, 2, -1));
    }
}
