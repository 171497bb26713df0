package io.basalt.chaos;

import java.util.Random;

/** SIGSTOP one storage node for a few seconds, then SIGCONT: a hung, not a dead, peer. */
public final class NodePause implements Scenario {
    @Override
    public String name() {
        return "node-pause";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        while (Scenario.sleepUntil(1500 + rnd.nextInt(1500), until)) {
            int i = rnd.nextInt(c.nodeCount());
            long start = System.nanoTime();
            c.pauseNode(i);
            try {
                Thread.sleep(2000 + rnd.nextInt(2000));
            } finally {
                c.resumeNode(i);
            }
            h.fault(name(), "SIGSTOP/SIGCONT node-" + (i + 1), start, System.nanoTime());
        }
    }
}
