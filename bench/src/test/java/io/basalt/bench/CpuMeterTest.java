package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Measures this test JVM itself: real /proc files, real hsperfdata. */
class CpuMeterTest {
    private static final long PID = ProcessHandle.current().pid();

    /** Spins until this thread has used the given CPU time, whatever the machine's load. */
    private static long spin(long cpuMillis) {
        var mx = ManagementFactory.getThreadMXBean();
        long end = mx.getCurrentThreadCpuTime() + cpuMillis * 1_000_000, x = 0;
        while (mx.getCurrentThreadCpuTime() < end) x += Long.numberOfTrailingZeros(x + System.nanoTime());
        return x;
    }

    @Test
    void attributesCpuToTheThreadKindAndKeepsWhatExitedThreadsUsed() throws Exception {
        // no periodic sample: a thread that exits before finish() is seen by no sample at all
        CpuMeter meter = new CpuMeter(Map.of("me", List.of(PID)), 3_600_000);
        CountDownLatch measured = new CountDownLatch(1);
        CountDownLatch burnt = new CountDownLatch(1);
        Thread executor = Thread.ofPlatform().name("grpc-default-executor-7").start(() -> {
            spin(300);
            burnt.countDown();
            try {
                measured.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread shortLived = Thread.ofPlatform().name("XNIO-1 task-3").start(() -> spin(200));
        shortLived.join();
        burnt.await();
        List<CpuMeter.Usage> usage = meter.finish();
        measured.countDown();
        executor.join();
        assertEquals(1, usage.size());
        CpuMeter.Usage u = usage.get(0);
        double[] executorCpu = u.kinds().get(ThreadKinds.GRPC_EXECUTOR);
        assertNotNull(executorCpu, "kinds: " + u.kinds().keySet());
        assertEquals(0.3, executorCpu[0] + executorCpu[1], 0.03); // clock ticks of 10 ms
        assertTrue(executorCpu[2] >= 1, "it was put on a CPU at least once: " + executorCpu[2]);
        double[] exited = u.kinds().get(ThreadKinds.EXITED);
        assertNotNull(exited, "the 200 ms thread exited unseen: " + u.kinds().keySet());
        assertTrue(exited[0] + exited[1] >= 0.18, "exited " + exited[0] + " + " + exited[1]);
        assertTrue(u.kinds().get(ThreadKinds.UNDERTOW_WORKER) == null, "never sampled, so not attributed");
        double kinds = u.kinds().values().stream().mapToDouble(k -> k[0] + k[1]).sum();
        assertEquals(u.user() + u.sys(), kinds, 0.03, "the kinds add up to the process's CPU");
    }

    @Test
    void countsThisJvmsCollectionsAsTheMxBeansDo() {
        PerfData.Gc before = PerfData.gc(PID);
        long mx0 = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionCount)
                .sum();
        System.gc();
        System.gc();
        PerfData.Gc after = PerfData.gc(PID);
        long mx1 = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionCount)
                .sum();
        assertNotNull(before, "hsperfdata of this JVM");
        PerfData.Gc d = after.minus(before);
        assertTrue(d.collections() >= 2, "two System.gc() are two collections at least: " + d);
        assertTrue(d.full() >= 1, "System.gc() is a full collection: " + d);
        assertTrue(d.pauseSeconds() > 0 && d.safepointSeconds() > 0, d.toString());
        // the MXBeans count concurrent cycles differently from jstat's counters under G1: compare the full ones
        assertTrue(mx1 - mx0 >= 2);
    }
}
