package io.basalt.chaos;

import java.util.Random;

/** SIGKILL the leading coordinator (the other one takes over the background work) and start it again a few seconds later. */
public final class CoordinatorKill implements Scenario {
    @Override
    public String name() {
        return "coordinator-kill";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        while (Scenario.sleepUntil(1500 + rnd.nextInt(1500), until)) {
            // a leader must be elected first (after a kill it takes up to the election lease's TTL)
            if (c.leaderCoordinator() < 0) continue;
            long start = System.nanoTime();
            int leader = c.killCoordinator();
            Thread.sleep(1000 + rnd.nextInt(3000));
            c.restartCoordinator();
            h.fault(
                    name(),
                    "SIGKILL coordinator-" + (leader + 1) + " (the leader), restarted",
                    start,
                    System.nanoTime());
        }
        if (!c.coordinatorRunning()) c.restartCoordinator();
    }
}
