package io.basalt.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Network faults on the data path between the gateway (and coordinator) and the storage nodes, through each
 * node's {@link FaultProxy}: in turn, 50–200 ms of added latency on two nodes, a flaky network on two nodes
 * (connections reset, directions stalled), and a full partition of one node that black-holes its traffic
 * without closing anything. The node keeps its etcd lease throughout, so only the data path's own timeouts
 * and hedges can route around it. Why a proxy and not {@code tc netem}: see {@link FaultProxy}.
 */
public final class NetworkFaults implements Scenario {

    /** The partition first: the hardest case gets its full length even in a short run. */
    private enum Phase {
        PARTITION,
        DELAY,
        FLAKY
    }

    @Override
    public String name() {
        return "network";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        int phase = 0;
        try {
            while (Scenario.sleepUntil(800 + rnd.nextInt(700), until)) {
                Phase p = Phase.values()[phase++ % Phase.values().length];
                List<Integer> victims = pick(
                        c,
                        rnd,
                        p == Phase.PARTITION ? 1 : Math.min(2, c.config().m()));
                long start = System.nanoTime();
                long resets = 0, stalls = 0;
                for (int i : victims) {
                    resets -= c.proxy(i).resets();
                    stalls -= c.proxy(i).stalls();
                }
                String what;
                switch (p) {
                    case DELAY -> {
                        long ms = 50 + rnd.nextInt(151);
                        for (int i : victims) c.proxy(i).delay(ms);
                        what = ms + " ms latency";
                    }
                    case FLAKY -> {
                        for (int i : victims) c.proxy(i).flaky();
                        what = "flaky network";
                    }
                    default -> {
                        for (int i : victims) c.proxy(i).partition();
                        what = "partition";
                    }
                }
                try {
                    // a partition outlasts the 3 s read hedge and the gateway's I/O timeout
                    Scenario.sleepUntil(
                            p == Phase.PARTITION ? 6000 + rnd.nextInt(3000) : 3000 + rnd.nextInt(2000), until);
                } finally {
                    for (int i : victims) c.proxy(i).pass();
                }
                for (int i : victims) {
                    resets += c.proxy(i).resets();
                    stalls += c.proxy(i).stalls();
                }
                String names =
                        victims.stream().map(i -> "node-" + (i + 1)).toList().toString();
                h.fault(
                        name(),
                        what + " on " + names
                                + (p == Phase.FLAKY
                                        ? " (" + resets + " connections reset, " + stalls + " stalls)"
                                        : ""),
                        start,
                        System.nanoTime());
            }
        } finally {
            for (int i = 0; i < c.nodeCount(); i++) c.proxy(i).pass();
        }
    }

    private static List<Integer> pick(ProcessCluster c, Random rnd, int count) {
        List<Integer> out = new ArrayList<>();
        while (out.size() < count) {
            int i = rnd.nextInt(c.nodeCount());
            if (!out.contains(i)) out.add(i);
        }
        return out;
    }
}
