package io.basalt.chaos;

import java.util.Random;

/**
 * SIGKILL the etcd leader (found through every member's maintenance status) and start it again on its data
 * dir a few seconds later: the other two members elect a new leader and every service follows them.
 */
public final class EtcdLeaderKill implements Scenario {
    @Override
    public String name() {
        return "etcd-leader-kill";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        while (Scenario.sleepUntil(2000 + rnd.nextInt(2000), until)) {
            int leader = c.etcdLeader();
            if (leader < 0) continue; // mid-election: try again
            long start = System.nanoTime();
            c.killEtcd(leader);
            Thread.sleep(2000 + rnd.nextInt(2000));
            c.restartEtcd(leader);
            h.fault(
                    name(),
                    "SIGKILL etcd-" + (leader + 1) + " (the leader), restarted on its data",
                    start,
                    System.nanoTime());
        }
    }
}
