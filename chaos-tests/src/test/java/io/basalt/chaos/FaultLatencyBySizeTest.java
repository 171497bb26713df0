package io.basalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.chaos.ChaosRunner.Latency;
import io.basalt.chaos.ChaosRunner.SizeClass;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's latency of requests overlapping a fault, per size class of the bytes they moved. */
class FaultLatencyBySizeTest {

    private final History h = new History();

    private void op(Op.Type type, int size, Op.Outcome out, long startMs, long endMs) {
        h.add(new Op(
                h.nextId(),
                0,
                type,
                "k",
                startMs * 1_000_000,
                endMs * 1_000_000,
                out,
                0,
                size,
                null,
                null,
                0,
                size,
                null,
                null,
                false));
    }

    @Test
    void onlyRequestsOverlappingAFaultCountEachInItsSizeClass() {
        h.fault("node-pause", "SIGSTOP node-3", 1_000_000_000L, 3_000_000_000L); // 1 s to 3 s
        op(Op.Type.PUT, 4096, Op.Outcome.OK, 0, 500); // before the fault: not counted
        op(Op.Type.PUT, 4096, Op.Outcome.OK, 900, 1_100); // 200 ms, small
        op(Op.Type.GET, 4096, Op.Outcome.OK, 1_500, 1_540); // 40 ms, small
        op(Op.Type.GET, 2 << 20, Op.Outcome.OK, 2_000, 2_300); // 300 ms, 1-16 MiB
        op(Op.Type.RANGE_GET, 100_000, Op.Outcome.OK, 2_500, 2_510); // 10 ms, 64 KiB-1 MiB
        op(Op.Type.GET, 0, Op.Outcome.FAIL, 2_600, 5_600); // failed: size unknown
        op(Op.Type.MPU, 20 << 20, Op.Outcome.FAIL, 2_900, 9_900); // a failed write still sent its body
        op(Op.Type.LIST, 0, Op.Outcome.OK, 2_950, 2_960);

        Map<SizeClass, Latency> by =
                ChaosRunner.summarize("node-pause", h, List.of()).faultLatencyBySize();
        assertEquals(new Latency(2, 40_000, 200_000), by.get(SizeClass.SMALL));
        assertEquals(new Latency(1, 10_000, 10_000), by.get(SizeClass.MEDIUM));
        assertEquals(new Latency(1, 300_000, 300_000), by.get(SizeClass.LARGE));
        assertEquals(new Latency(1, 7_000_000, 7_000_000), by.get(SizeClass.HUGE));
        assertEquals(new Latency(2, 10_000, 3_000_000), by.get(SizeClass.NO_BODY));

        String report = ChaosMain.report(List.of(ChaosRunner.summarize("node-pause", h, List.of())), 1, 1, null);
        assertTrue(report.contains("| node-pause | 40.0 / 200.0 (2) | 10.0 / 10.0 (1) | 300.0 / 300.0 (1) |"), report);
    }
}
