package io.basalt.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * When the faults workload pauses its storage node within a phase: {@code pause} seconds out of
 * every {@code every}, starting {@code offset} seconds into each period. Only windows that end
 * inside the phase are kept, so the node always runs again before the phase's last operations.
 */
record PauseSchedule(double every, double pause, double offset) {
    /** One pause, in seconds from the phase's start: SIGSTOP at {@code start}, SIGCONT at {@code end}. */
    record Window(double start, double end) {}

    PauseSchedule {
        if (!(every > 0) || !(pause > 0) || offset < 0 || offset + pause > every)
            throw new IllegalArgumentException(
                    "a pause of " + pause + " s at " + offset + " s must fit in every " + every + " s");
    }

    List<Window> windows(double phaseSeconds) {
        List<Window> out = new ArrayList<>();
        for (double period = 0; period + offset + pause <= phaseSeconds; period += every)
            out.add(new Window(period + offset, period + offset + pause));
        return out;
    }

    /** Seconds paused over a phase of that length. */
    double pausedSeconds(double phaseSeconds) {
        return windows(phaseSeconds).size() * pause;
    }
}
