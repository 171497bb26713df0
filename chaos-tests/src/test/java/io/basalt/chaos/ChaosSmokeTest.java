package io.basalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.storage.ShardInventory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A short run of every chaos scenario against one cluster of real processes (3 etcd members, 2 coordinators,
 * 6 storage nodes, 2 gateways, 4+2), with small objects: the checker must find no violation and every segment must be
 * back at full redundancy after each scenario. Scenarios share the cluster (each has its own bucket). First the
 * redundancy check itself is shown to see a lost shard and an orphan; last, no orphan may outlive the orphan grace.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosSmokeTest {

    private static final Duration RUN = Duration.ofSeconds(6);
    // objects up to 512 KiB: on both sides of the gateway's small-object threshold (64 KiB), so both
    // the 1+2 copies and the 4+2 shards go through every scenario
    private static final Workload.Settings SMALL = new Workload.Settings(4, 6, 512 << 10, 42);

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

    /** The runner's progress, timed: where a scenario's seconds go (faults, final reads, the wait for redundancy). */
    private static void log(String line) {
        System.out.println(java.time.LocalTime.now().withNano(0) + " " + line);
    }

    private void run(Scenario s) throws Exception {
        run(s, RUN);
    }

    private void run(Scenario s, Duration length) throws Exception {
        Assumptions.assumeTrue(s.unsupported() == null, () -> s.name() + ": " + s.unsupported());
        ChaosRunner.Result r = ChaosRunner.run(cluster, s, length, SMALL, ChaosSmokeTest::log);
        System.out.println(ChaosMain.report(java.util.List.of(r), length.toSeconds() / 60.0, SMALL.seed(), dir));
        assertTrue(r.operations() > 0, "the workload ran");
        assertTrue(r.faults() > 0, "faults were injected");
        assertEquals(0, r.violations().size(), () -> String.join("\n", r.violations()));
        assertTrue(r.secondsToFullRedundancy() >= 0, r::redundancy);
    }

    /** The check sees a deleted shard file and a stray one; the cluster then heals the first and sweeps the second. */
    @Test
    @Order(0)
    void redundancyCheckSeesLossAndOrphansAndTheClusterRepairsBoth() throws Exception {
        try (S3Client s3 = Workload.client(cluster.endpoint(1))) {
            s3.createBucket(b -> b.bucket("redundancy"));
            for (int i = 0; i < 3; i++) {
                s3.putObject(
                        b -> b.bucket("redundancy").key("o" + System.nanoTime()),
                        // 4+2 shards of 150 KB: files, above the nodes' pack limit (128 KiB) should packing be on
                        RequestBody.fromBytes(Content.bytes(i, 600_000)));
            }
        }
        RedundancyCheck.Report clean = RedundancyCheck.run(cluster);
        assertTrue(clean.fullRedundancy(), clean::summary);
        assertEquals(3, clean.objects());
        assertEquals(18, clean.shardFiles(), "3 objects x 6 shards");

        // a parity or data shard file vanishes from node-1, and a copy of another appears under a name nobody uses
        List<Path> files = cluster.shards(0).stream()
                .filter(f -> !f.packed())
                .map(ShardInventory.StoredShard::file)
                .toList();
        Path lost = files.get(0);
        String strayId = "0123456789abcdef0123456789abcdef.0";
        Path stray = lost.getParent().resolveSibling(fanOut(strayId)).resolve(strayId);
        Files.createDirectories(stray.getParent());
        Files.copy(files.get(files.size() - 1), stray);
        Files.setLastModifiedTime(
                stray, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000)); // long past the grace
        Files.delete(lost);
        RedundancyCheck.Report broken = RedundancyCheck.run(cluster);
        assertEquals(1, broken.degraded().size(), broken::summary);
        assertTrue(
                broken.degraded().get(0).problems().get(0).contains("no file on node-1"), broken.degraded()::toString);
        assertEquals(
                List.of("0123456789abcdef0123456789abcdef.0"),
                broken.orphans().stream().map(RedundancyCheck.Orphan::shardId).toList());

        // the coordinator's sweep finds both: the missing shard is healed, the stray file deleted
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        RedundancyCheck.Report r = broken;
        while (System.nanoTime() < deadline
                && !(r.fullRedundancy() && r.orphans().isEmpty())) {
            Thread.sleep(1000);
            r = RedundancyCheck.run(cluster);
        }
        assertTrue(r.fullRedundancy() && r.orphans().isEmpty(), r.summary());
        assertTrue(Files.exists(lost), "healed in place on node-1");
        assertTrue(Files.notExists(stray), "the orphan is swept");
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
    void gatewayKill() throws Exception {
        run(new GatewayKill());
    }

    @Test
    @Order(5)
    void etcdLeaderKill() throws Exception {
        run(new EtcdLeaderKill());
    }

    @Test
    @Order(9)
    void diskFull() throws Exception {
        run(new DiskFull());
    }

    @Test
    @Order(10)
    void shardLoss() throws Exception {
        run(new ShardLoss());
    }

    @Test
    @Order(11)
    void shardCorruption() throws Exception {
        run(new ShardCorruption());
    }

    /** The storage node's fan-out directory of a shard id: the low byte of its CRC32C, in hex (ShardId.fanOut). */
    private static String fanOut(String id) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(id.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return java.util.HexFormat.of().toHexDigits((byte) crc.getValue());
    }

    /**
     * Long enough for each of the three members to be frozen once (twice the lease TTL each, after the registrations
     * settled from the last).
     */
    @Test
    @Order(12)
    void etcdMemberFreeze() throws Exception {
        run(
                new EtcdMemberFreeze(),
                Duration.ofSeconds(3L * (2 * cluster.config().leaseTtlSeconds() + 4)));
    }

    /** Whatever the faults left behind (a killed gateway's shards, healed-around copies) is gone after the grace. */
    @Test
    @Order(13)
    void noOrphanShardFilesAfterTheGrace() throws Exception {
        List<String> v = ChaosRunner.awaitNoOrphans(cluster, ChaosSmokeTest::log);
        assertEquals(List.of(), v);
    }

    @Test
    @Order(6)
    void network() throws Exception {
        run(new NetworkFaults());
    }

    @Test
    @Order(7)
    void fuzz() throws Exception {
        run(new Fuzz());
    }

    @Test
    @Order(8)
    void clockSkew() throws Exception {
        run(new ClockSkew());
    }
}
