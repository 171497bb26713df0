package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ThreadKindsTest {
    /** Linux keeps the first 15 bytes of a thread's name, which is what /proc/PID/task/TID/comm shows. */
    private static String comm(String javaName) {
        return javaName.length() > 15 ? javaName.substring(0, 15) : javaName;
    }

    private static String kind(String javaName) {
        return ThreadKinds.of(comm(javaName), true);
    }

    @Test
    void namesSeenInBasaltsProcessesHaveTheirKind() {
        assertEquals(ThreadKinds.EVENT_LOOP, kind("grpc-nio-worker-ELG-3-1"));
        assertEquals(ThreadKinds.EVENT_LOOP, kind("grpc-nio-boss-ELG-1-1"));
        assertEquals(ThreadKinds.EVENT_LOOP, kind("grpc-default-worker-ELG-2-4"));
        assertEquals(ThreadKinds.EVENT_LOOP, kind("epollEventLoopGroup-2-1"));
        assertEquals(ThreadKinds.GRPC_EXECUTOR, kind("grpc-default-executor-12"));
        assertEquals(ThreadKinds.EVENT_LOOP, kind("shard-data-io-1-2"));
        assertEquals(ThreadKinds.GRPC_EXECUTOR, kind("shard-stream-7"));
        assertEquals(ThreadKinds.BASALT, kind("shard-commit"));
        assertEquals(ThreadKinds.GRPC_OTHER, kind("grpc-timer-0"));
        assertEquals(ThreadKinds.UNDERTOW_IO, kind("XNIO-1 I/O-2"));
        assertEquals(ThreadKinds.UNDERTOW_IO, kind("XNIO-1 Accept"));
        assertEquals(ThreadKinds.UNDERTOW_WORKER, kind("XNIO-1 task-17"));
        assertEquals(ThreadKinds.ETCD_CLIENT, kind("vert.x-eventloop-thread-0"));
        assertEquals(ThreadKinds.ETCD_CLIENT, kind("jetcd-pool-3-thread-1"));
        assertEquals(ThreadKinds.GC, kind("VM Thread"));
        assertEquals(ThreadKinds.GC, kind("GC Thread#1"));
        assertEquals(ThreadKinds.GC, kind("G1 Conc#0"));
        assertEquals(ThreadKinds.GC, kind("G1 Refine#0"));
        assertEquals(ThreadKinds.JIT, kind("C2 CompilerThread0"));
        assertEquals(ThreadKinds.JIT, kind("C1 CompilerThread0"));
        assertEquals(ThreadKinds.FORK_JOIN, kind("ForkJoinPool-1-worker-3"));
        assertEquals(ThreadKinds.POOL, kind("pool-2-thread-4"));
        assertEquals(ThreadKinds.BASALT, kind("disk-probe /tmp/cpu-dev/node-1"));
        assertEquals(ThreadKinds.BASALT, kind("scrubber"));
        assertEquals(ThreadKinds.BASALT, kind("gc")); // the coordinator's garbage collector, not the JVM's
        assertEquals(ThreadKinds.JVM, kind("VM Periodic Task Thread"));
        assertEquals(ThreadKinds.JVM, kind("Reference Handler"));
        assertEquals(ThreadKinds.MAIN, kind("java"));
        assertEquals(ThreadKinds.OTHER, kind("something-else"));
    }

    @Property
    void everyEventLoopAndExecutorNumberingClassifiesAlike(
            @ForAll @IntRange(min = 0, max = 99) int group, @ForAll @IntRange(min = 0, max = 999) int n) {
        assertEquals(ThreadKinds.EVENT_LOOP, kind("grpc-nio-worker-ELG-" + group + "-" + n));
        assertEquals(ThreadKinds.GRPC_EXECUTOR, kind("grpc-default-executor-" + n));
        assertEquals(ThreadKinds.UNDERTOW_WORKER, kind("XNIO-" + group + " task-" + n));
        assertEquals(ThreadKinds.UNDERTOW_IO, kind("XNIO-" + group + " I/O-" + n));
        assertEquals("msgr-worker", ThreadKinds.of("msgr-worker-" + n, false));
    }

    @Test
    void nativeThreadsAreTheirPoolNames() {
        assertEquals("tp_osd_tp", ThreadKinds.of("tp_osd_tp", false));
        assertEquals("rocksdb:low", ThreadKinds.of("rocksdb:low0", false));
        assertEquals("etcd", ThreadKinds.of("etcd", false));
        assertEquals("42", ThreadKinds.of("42", false)); // nothing but digits: kept
        // a native process's thread named like a JVM's is not a JVM thread
        assertEquals("VM Thread", ThreadKinds.of("VM Thread", false));
    }

    @Test
    void jvmsAreRecognisedByTheirLauncher() {
        assertTrue(ThreadKinds.isJvm("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java -Xmx256m -cp x Main "));
        assertTrue(ThreadKinds.isJvm("java -jar s3proxy.jar"));
        assertFalse(ThreadKinds.isJvm("/usr/bin/ceph-osd -f -i 0"));
        assertFalse(ThreadKinds.isJvm("bash ./basalt dev java"));
    }
}
