package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuReportTest {
    private static Figures rep(double gb, double gatewayLoop, double nodeLoop, double nodeExecutor) {
        Figures f = new Figures();
        f.gb = gb;
        // user and system split in two halves: the table adds them
        f.usage.add(new CpuMeter.Usage(
                "gateway",
                1,
                gatewayLoop / 2 + 0.1,
                gatewayLoop / 2 + 0.1,
                Map.of(
                        ThreadKinds.EVENT_LOOP, new double[] {gatewayLoop / 2, gatewayLoop / 2},
                        ThreadKinds.UNDERTOW_WORKER, new double[] {0.1, 0.1}),
                null));
        f.usage.add(new CpuMeter.Usage(
                "storage-nodes",
                2,
                nodeLoop + nodeExecutor,
                0,
                Map.of(
                        ThreadKinds.EVENT_LOOP, new double[] {nodeLoop, 0},
                        ThreadKinds.GRPC_EXECUTOR, new double[] {nodeExecutor, 0},
                        ThreadKinds.JIT, new double[] {5, 0}),
                null));
        return f;
    }

    @Test
    void setsEachGroupOfThreadsAgainstTheFloorStepsItDoes() {
        Floor get = new Floor(
                Floor.GET,
                1.0,
                "",
                List.of(
                        new Floor.Row("nodes: executors", "storage-nodes", List.of(ThreadKinds.GRPC_EXECUTOR), 0.1),
                        new Floor.Row("nodes: event loops", "storage-nodes", List.of(ThreadKinds.EVENT_LOOP), 0.4),
                        new Floor.Row("gateway: event loops", "gateway", List.of(ThreadKinds.EVENT_LOOP), 0.3),
                        new Floor.Row("gateway: workers", "gateway", List.of(ThreadKinds.UNDERTOW_WORKER), 0.2)));
        Target basalt = new Target("basalt", URI.create("http://127.0.0.1:1"), "a", "b", "bucket", 1);
        // per GB: gateway loops 1.2 / 1.0 / 1.4, node loops 2.4 / 2.0 / 2.2, node executors 0.6 / 0.5 / 0.7
        var reps = List.of(rep(2, 2.4, 4.8, 1.2), rep(4, 4.0, 8.0, 2.0), rep(1, 1.4, 2.2, 0.7));
        String md = new CpuReport(List.of(basalt), Map.of("basalt", reps)).floorMarkdown(get);
        assertTrue(md.contains("| nodes: executors (executor (gRPC, data port streams)) | 0.10 | 0.60 | +0.50 |"), md);
        assertTrue(
                md.contains("| nodes: event loops (Netty event loop (gRPC, data port)) | 0.40 | 2.20 | +1.80 |"), md);
        assertTrue(
                md.contains("| gateway: event loops (Netty event loop (gRPC, data port)) | 0.30 | 1.20 | +0.90 |"), md);
        // the workers used 0.2 CPU-s per repetition: 0.1, 0.05 and 0.2 per GB
        assertTrue(md.contains("| gateway: workers (Undertow worker) | 0.20 | 0.10 | -0.10 |"), md);
        assertTrue(md.contains("| these threads | 1.00 | 4.10 | +3.10 |"), md);
        assertEquals(-1, md.indexOf("JIT"), "threads no floor step names stay out");
    }

    @Test
    void showsHowOftenEachKindRanAndWaitedPerByte() {
        Target basalt = new Target("basalt", URI.create("http://127.0.0.1:1"), "a", "b", "bucket", 1);
        // 2 GB per repetition; the event loops ran 40,000 and 60,000 times and waited 1 s and 3 s for a CPU
        var reps = List.of(runs(2, 40_000, 1), runs(2, 60_000, 3));
        String md = new CpuReport(List.of(basalt), Map.of("basalt", reps)).markdown();
        // medians: 25,000 runs per GB = 25 per MB, 1 s waited per GB; the process's row sums its threads
        assertTrue(
                md.contains(
                        "| basalt | storage-nodes | Netty event loop (gRPC, data port) | 1.00 | 0 | 1.00 | 80% | 25.0 | 1.00 |"),
                md);
        assertTrue(
                md.contains("| basalt | storage-nodes | **all threads** | 1.25 | 0 | 1.25 | 100% | 25.0 | 1.00 |"), md);
        // a kind read without schedstat (two fields) shows no runs rather than zero
        assertTrue(md.contains("| basalt | storage-nodes | JIT compiler | 0.25 | 0 | 0.25 | 20% | – | – |"), md);
    }

    private static Figures runs(double gb, double loopRuns, double loopWait) {
        Figures f = new Figures();
        f.gb = gb;
        f.usage.add(new CpuMeter.Usage(
                "storage-nodes",
                2,
                2.5,
                0,
                Map.of(
                        ThreadKinds.EVENT_LOOP, new double[] {2, 0, loopRuns, loopWait},
                        ThreadKinds.JIT, new double[] {0.5, 0}),
                null));
        return f;
    }

    @Test
    void floorRowsSumToTheFloor() {
        Limits l = new Limits();
        FloorTest.ALL.forEach((name, v) -> l.all.put(name, new Limits.Limit(name, "", v, "")));
        for (Floor f : Floor.of(l)) {
            if (f.rows().isEmpty()) continue; // the heal's: no thread breakdown of its own
            double sum = f.rows().stream().mapToDouble(Floor.Row::seconds).sum();
            assertEquals(f.total(), sum, 1e-9, f.name());
        }
    }
}
