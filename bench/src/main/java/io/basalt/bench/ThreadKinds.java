package io.basalt.bench;

import java.util.List;

/**
 * What a thread does, from its name as /proc/PID/task/TID/comm shows it: the first 15 bytes of the Java thread
 * name (so "grpc-nio-worker-ELG-1-2" reads "grpc-nio-worker"). Patterns are prefixes, tried in order.
 */
final class ThreadKinds {
    static final String EVENT_LOOP = "Netty event loop (gRPC, data port)";
    static final String GRPC_EXECUTOR = "executor (gRPC, data port streams)";
    static final String GRPC_OTHER = "gRPC other";
    static final String UNDERTOW_IO = "Undertow I/O";
    static final String UNDERTOW_WORKER = "Undertow worker";
    static final String ETCD_CLIENT = "etcd client (jetcd, Vert.x)";
    static final String GC = "GC + VM thread";
    static final String JIT = "JIT compiler";
    static final String FORK_JOIN = "ForkJoinPool (virtual threads)";
    static final String POOL = "unnamed thread pool";
    static final String BASALT = "Basalt background";
    static final String JVM = "JVM internal";
    static final String MAIN = "main";
    static final String OTHER = "other";
    /** CPU of threads that exited before the last sample: the process total minus its threads' sum. */
    static final String EXITED = "exited threads";

    private record Rule(String prefix, String kind) {}

    private static final List<Rule> JAVA = List.of(
            new Rule("grpc-nio-worker", EVENT_LOOP),
            new Rule("grpc-nio-boss", EVENT_LOOP),
            new Rule("grpc-default-wo", EVENT_LOOP),
            new Rule("grpc-epoll", EVENT_LOOP),
            new Rule("epollEventLoop", EVENT_LOOP),
            new Rule("nioEventLoop", EVENT_LOOP),
            new Rule("grpc-default-ex", GRPC_EXECUTOR),
            // the data port's event loops (gateways, coordinators and nodes) and the nodes' senders on it
            new Rule("shard-data-io", EVENT_LOOP),
            new Rule("shard-stream-", GRPC_EXECUTOR),
            new Rule("grpc-", GRPC_OTHER),
            new Rule("XNIO-", null), // I/O, Accept or task: decided below
            new Rule("vert.x-", ETCD_CLIENT),
            new Rule("vertx-", ETCD_CLIENT),
            new Rule("jetcd-", ETCD_CLIENT),
            // Serial and Parallel GC collect in the VM Thread (safepoint operations); G1's own threads
            new Rule("VM Thread", GC),
            new Rule("GC Thread", GC),
            new Rule("G1 ", GC),
            new Rule("GC ", GC),
            new Rule("ZWorker", GC),
            new Rule("ZDirector", GC),
            new Rule("ZDriver", GC),
            new Rule("Shenandoah", GC),
            new Rule("C1 CompilerThre", JIT),
            new Rule("C2 CompilerThre", JIT),
            new Rule("JVMCI", JIT),
            new Rule("ForkJoinPool", FORK_JOIN),
            new Rule("pool-", POOL),
            // Basalt's named threads (storage node, coordinator's LeaderTasks, core's registration and metrics)
            new Rule("scrubber", BASALT),
            new Rule("disk-", BASALT),
            new Rule("membership", BASALT),
            new Rule("node-registrati", BASALT),
            new Rule("leader-election", BASALT),
            new Rule("metrics-http", BASALT),
            new Rule("HTTP-Dispatcher", BASALT),
            new Rule("copy-read", BASALT),
            new Rule("healer", BASALT),
            new Rule("gc", BASALT),
            new Rule("orphan-sweep", BASALT),
            new Rule("rebalance", BASALT),
            new Rule("drain", BASALT),
            new Rule("upload-expiry", BASALT),
            new Rule("status", BASALT),
            new Rule("shard-", BASALT),
            new Rule("stripe-hasher", BASALT),
            new Rule("md5-lanes", BASALT),
            new Rule("pack-commit", BASALT),
            new Rule("VM Periodic Tas", JVM),
            new Rule("Finalizer", JVM),
            new Rule("Reference Handl", JVM),
            new Rule("Common-Cleaner", JVM),
            new Rule("Service Thread", JVM),
            new Rule("Signal Dispatch", JVM),
            new Rule("Monitor Deflati", JVM),
            new Rule("Notification Th", JVM),
            new Rule("Attach Listener", JVM),
            new Rule("process reaper", JVM),
            new Rule("idle-timeout-ta", JVM),
            new Rule("java", MAIN));

    private ThreadKinds() {}

    /** The kind of a JVM thread; a native process's threads are kinds by their name without numbers. */
    static String of(String comm, boolean jvm) {
        if (!jvm) return nativeKind(comm);
        for (Rule r : JAVA) {
            if (!comm.startsWith(r.prefix)) continue;
            if (r.kind != null) return r.kind;
            return comm.contains(" task") ? UNDERTOW_WORKER : UNDERTOW_IO; // "XNIO-1 I/O-2", "XNIO-1 Accept"
        }
        return OTHER;
    }

    /** "msgr-worker-0" -> "msgr-worker", "rocksdb:low0" -> "rocksdb:low": one kind per thread pool. */
    static String nativeKind(String comm) {
        String k = comm.replaceAll("[-_:#. ]?\\d+", "").trim();
        return k.isEmpty() ? comm : k;
    }

    /** A JVM is a process started by a binary named java (or one exposing hsperfdata). */
    static boolean isJvm(String cmdline) {
        int sp = cmdline.indexOf(' ');
        String argv0 = sp < 0 ? cmdline : cmdline.substring(0, sp);
        return argv0.equals("java") || argv0.endsWith("/java");
    }
}
