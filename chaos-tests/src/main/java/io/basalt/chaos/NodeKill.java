package io.basalt.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** SIGKILL one or two (at most m) storage nodes for a few seconds, then start them again on the same data. */
public final class NodeKill implements Scenario {
    @Override
    public String name() {
        return "node-kill";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        while (Scenario.sleepUntil(1500 + rnd.nextInt(1500), until)) {
            int count = 1 + rnd.nextInt(Math.min(2, c.config().m()));
            List<Integer> victims = new ArrayList<>();
            while (victims.size() < count) {
                int i = rnd.nextInt(c.nodeCount());
                if (!victims.contains(i)) victims.add(i);
            }
            long start = System.nanoTime();
            for (int i : victims) c.killNode(i);
            Thread.sleep(2000 + rnd.nextInt(3000));
            for (int i : victims) c.restartNode(i);
            c.awaitReady(Duration.ofSeconds(60));
            h.fault(
                    name(),
                    "SIGKILL node(s) "
                            + victims.stream().map(i -> "node-" + (i + 1)).toList() + ", restarted",
                    start,
                    System.nanoTime());
        }
    }
}
