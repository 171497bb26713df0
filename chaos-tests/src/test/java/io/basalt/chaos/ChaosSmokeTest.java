package io.basalt.chaos;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A short run of every chaos scenario against one cluster of real processes (etcd, coordinator, 6 storage
 * nodes, gateway 4+2), with small objects: the checker must find no violation. Scenarios share the cluster
 * (each has its own bucket); shard-corruption runs last because the rot it leaves would add to later node losses.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosSmokeTest {

    private static final Duration RUN = Duration.ofSeconds(15);
    private static final Workload.Settings SMALL = new Workload.Settings(4, 6, 128 << 10, 42);

    @TempDir
    static Path dir;
    static ProcessCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ProcessCluster.start(ProcessCluster.Config.defaults(ProcessCluster.findRoot(), dir));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    private void run(Scenario s) throws Exception {
        ChaosRunner.Result r = ChaosRunner.run(cluster, s, RUN, SMALL, System.out::println);
        System.out.println(ChaosMain.report(java.util.List.of(r), RUN.toSeconds() / 60.0, SMALL.seed(), dir));
        assertTrue(r.operations() > 0, "the workload ran");
        assertTrue(r.faults() > 0, "faults were injected");
        assertEquals(0, r.violations().size(), () -> String.join("\n", r.violations()));
    }

    @Test
    @Order(1)
    void nodePause() throws Exception {
        run(new NodePause());
    }

    @Test
    @Order(2)
    void nodeKill() throws Exception {
        run(new NodeKill());
    }

    @Test
    @Order(3)
    void coordinatorKill() throws Exception {
        run(new CoordinatorKill());
    }

    @Test
    @Order(4)
    void shardCorruption() throws Exception {
        run(new ShardCorruption());
    }

    // after shard-corruption: each scenario has its own bucket, so the rot left there does not reach these

    @Test
    @Order(5)
    void network() throws Exception {
        run(new NetworkFaults());
    }

    @Test
    @Order(6)
    void fuzz() throws Exception {
        run(new Fuzz());
    }

    @Test
    @Order(7)
    void clockSkew() throws Exception {
        run(new ClockSkew());
    }
}
