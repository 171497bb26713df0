package io.basalt.chaos;

import java.util.List;
import java.util.Random;

/** A named fault injection, run while the workload runs; it leaves the cluster healed when it returns. */
public interface Scenario {

    String name();

    /** Why this scenario cannot run on this machine (e.g. it needs root), or null when it can. */
    default String unsupported() {
        return null;
    }

    /** Injects faults until {@code untilNanos} (System.nanoTime()), recording each in the history. */
    void run(ProcessCluster cluster, History history, Random rnd, long untilNanos) throws Exception;

    static List<Scenario> all() {
        // every scenario ends at full redundancy (ChaosRunner waits for it), so none adds to the next one's losses
        return List.of(
                new NodePause(),
                new NodeKill(),
                new CoordinatorKill(),
                new GatewayKill(),
                new EtcdLeaderKill(),
                new EtcdMemberFreeze(),
                new NetworkFaults(),
                new Fuzz(),
                new ClockSkew(),
                new DiskFull(),
                new ShardLoss(),
                new ShardCorruption());
    }

    static Scenario named(String name) {
        return all().stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown scenario " + name + "; known: "
                        + all().stream().map(Scenario::name).toList()));
    }

    /**
     * The storage nodes a damaging scenario keeps hitting: two distinct ones picked at random, or one when m is 1,
     * so that every segment keeps k good shards however much damage is done to them.
     */
    static int[] victims(ProcessCluster c, Random rnd) {
        int a = rnd.nextInt(c.nodeCount());
        int b = (a + 1 + rnd.nextInt(c.nodeCount() - 1)) % c.nodeCount();
        return c.config().m() >= 2 ? new int[] {a, b} : new int[] {a};
    }

    /** Sleeps up to {@code millis}, never past {@code untilNanos}; false once the deadline has passed. */
    static boolean sleepUntil(long millis, long untilNanos) throws InterruptedException {
        long left = (untilNanos - System.nanoTime()) / 1_000_000;
        if (left <= 0) return false;
        Thread.sleep(Math.min(millis, left));
        return System.nanoTime() < untilNanos;
    }
}
