package io.basalt.chaos;

import java.time.Duration;
import java.util.Random;

/**
 * SIGKILL one gateway while the workload's uploads (single PUTs up to the largest size, multipart parts)
 * are in flight on it, and start it again a few seconds later; requests on the other gateway go on.
 * An upload cut off mid-body must be invisible or whole, and its shards become orphans the sweep removes.
 */
public final class GatewayKill implements Scenario {
    @Override
    public String name() {
        return "gateway-kill";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        int victim = rnd.nextInt(c.gatewayCount());
        while (Scenario.sleepUntil(1500 + rnd.nextInt(2000), until)) {
            long start = System.nanoTime();
            c.killGateway(victim);
            Thread.sleep(1000 + rnd.nextInt(2000));
            c.restartGateway(victim);
            c.awaitReady(Duration.ofSeconds(60));
            h.fault(name(), "SIGKILL gateway-" + (victim + 1) + " mid-request, restarted", start, System.nanoTime());
            victim = (victim + 1) % c.gatewayCount();
        }
    }
}
