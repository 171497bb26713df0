package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.coordinator.admin.ClusterStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling upgrade from the previous release's package ({@link PreviousRelease}, built from its commit) to this
 * tree's, on the guide's three hosts ({@link ThreeHostCluster}, namespaces {@code basalt-u-*} on 10.78/16, so it
 * runs beside MultiHostTest), under an S3 client workload from start to end: every host starts on the old
 * package; host by host its services stop, its installation switches to the new package, they start again, and
 * the next host waits until the cluster is healthy. In the middle: an old coordinator leads and heals onto a new
 * node; with host 2 down, the only live nodes are new node-1 and old node-3, so a 2+1 write stores a shard on
 * each and a read needs both: a new gateway's writes and reads are served by an old node, an old gateway's by a
 * new one. At the end every acknowledged object reads back byte-exact through every gateway and {@code basalt
 * admin status} shows every node live on the new release; then host 3 rolls back to the old package and still
 * reads everything the new release wrote. Runs only with {@code -Dbasalt.upgrade=true} ({@code ./basalt test
 * --upgrade}): the old package's build alone takes minutes. Skipped, saying why, without root, namespaces,
 * etcd, curl, the aws CLI or git.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RollingUpgradeTest {

    static final boolean ENABLED = Boolean.getBoolean("basalt.upgrade");
    static final String BUCKET = "upgrade";
    static final int UPGRADE_MINUTES = 20;

    @TempDir
    static Path tmp;

    static ThreeHostCluster cluster;
    static PreviousRelease previous;
    static Path newHome;
    static Path oldHome;
    static String newVersion;
    static byte[] beforeUpgrade;
    static S3Workload.Running workload;

    @RegisterExtension
    static final TestExecutionExceptionHandler WITH_LOGS = (context, e) -> {
        throw cluster == null ? e : new AssertionError(e.getMessage() + "\n" + cluster.logTails(), e);
    };

    @BeforeAll
    static void startOnThePreviousRelease() throws Exception {
        Assumptions.assumeTrue(
                ENABLED, "the rolling upgrade runs with -Dbasalt.upgrade=true (./basalt test --upgrade)");
        String why = ThreeHostCluster.unavailable();
        if (why == null && !BareMetalTest.onPath("git")) why = "no git";
        String skipped = why;
        Assumptions.assumeTrue(why == null, () -> "rolling upgrade skipped: " + skipped);

        previous = PreviousRelease.load();
        long t0 = System.nanoTime();
        Path oldArchive = previous.buildPackage(ThreeHostCluster.ROOT.resolve("deploy/target/previous-release"));
        System.out.println("previous release package " + oldArchive + " ready in "
                + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) + " s");
        oldHome = ThreeHostCluster.unpack(oldArchive, tmp.resolve("opt-previous"));
        newHome = ThreeHostCluster.unpack(ReleasePackageTest.pack(tmp.resolve("dist")), tmp.resolve("opt-new"));
        newVersion = Files.readString(newHome.resolve("VERSION")).strip();
        assertEquals(
                previous.version(), Files.readString(oldHome.resolve("VERSION")).strip());
        assertNotEquals(previous.version(), newVersion, "old and new are told apart by version");

        // certificates as the previous release's guide issued them: naming host 1 too, which it needs
        cluster = ThreeHostCluster.start(tmp, oldHome, "basalt-u-", 78, true);
        cluster.s3(1, 1, "s3", "mb", "s3://" + BUCKET);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        try {
            if (workload != null) workload.stop();
        } catch (Exception | AssertionError e) {
            // the test's own failure says more
        }
        if (cluster != null) cluster.close();
        cluster = null;
    }

    @Test
    @Order(1)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void everyHostStartsOnThePreviousRelease() throws Exception {
        for (int h = 1; h <= ThreeHostCluster.HOSTS; h++) assertEquals(previous.version(), cluster.version(h));
        ClusterStatus status = cluster.awaitStatus(1, RollingUpgradeTest::allLive, 60, "every node live");
        for (ClusterStatus.Node n : status.nodes()) {
            assertTrue(n.address().startsWith("10.78."), "on this test's network: " + n);
            assertNull(n.release(), "the previous release does not say its release: " + n);
        }
        beforeUpgrade = roundTrip(2, 2, 3, "before-upgrade");
    }

    @Test
    @Order(2)
    @Timeout(value = UPGRADE_MINUTES, unit = TimeUnit.MINUTES)
    void aRollingUpgradeUnderTrafficMixesReleasesAndLosesNothing() throws Exception {
        awaitHealthy();
        workload = S3Workload.Running.start(cluster, 3, tmp.resolve("upgrade-workload"), BUCKET);
        Properties summary;
        try {
            workload.awaitAcks(4, 90);

            // host 1 (node, gateway, coordinator): while it is down coordinator-2 leads, and keeps leading after
            stop(1);
            cluster.install(1, newHome);
            writeUpgradeKeys(1, true); // shard format 1, what 0.1 reads, while going back is possible
            start(1);
            // what the workload wrote while host 1 was down lacked node-1's shard: the old leader rebuilds it there
            ClusterStatus mixed = cluster.awaitStatus(
                    1,
                    s -> allLive(s) && s.objectsDegraded() == 0 && s.heal().healed() > 0,
                    180,
                    "every node live, no object degraded, the leader's heals published");
            assertEquals(newVersion, release(mixed, "node-1"), mixed.toJson());
            assertNull(release(mixed, "node-2"), mixed.toJson());
            assertNull(release(mixed, "node-3"), mixed.toJson());
            assertEquals("coordinator-2", mixed.leader(), "the old coordinator leads: " + mixed.toJson());
            assertNull(mixed.leaderRelease(), "the leader runs the previous release: " + mixed.toJson());

            // host 2: while it is down, new node-1 and old node-3 are the only live nodes
            stop(2);
            cluster.install(2, newHome);
            writeUpgradeKeys(2, true); // shard format 1, what 0.1 reads, while going back is possible
            ClusterStatus halfway = cluster.awaitStatus(
                    1,
                    s -> "down".equals(state(s, "node-2"))
                            && ClusterStatus.Node.LIVE.equals(state(s, "node-1"))
                            && ClusterStatus.Node.LIVE.equals(state(s, "node-3")),
                    60,
                    "node-2 down, node-1 and node-3 live");
            assertEquals(newVersion, release(halfway, "node-1"), halfway.toJson());
            assertNull(release(halfway, "node-3"), halfway.toJson());
            assertEquals(newVersion, cluster.version(1));
            // a 2+1 write with two live nodes stores a shard on each (write quorum 2) and a read needs both
            Path back = tmp.resolve("back");
            byte[] viaNew = roundTrip(1, 1, 1, "via-new-gateway"); // new gateway 1, read back through it...
            cluster.s3(3, 3, "s3", "cp", "s3://" + BUCKET + "/via-new-gateway", back.toString());
            assertArrayEquals(viaNew, Files.readAllBytes(back), "...and through old gateway 3");
            byte[] viaOld = roundTrip(3, 3, 3, "via-old-gateway"); // old gateway 3, read back through it...
            cluster.s3(1, 1, "s3", "cp", "s3://" + BUCKET + "/via-old-gateway", back.toString());
            assertArrayEquals(viaOld, Files.readAllBytes(back), "...and through new gateway 1");
            workload.awaitAcks(2, 90);
            start(2);
            ClusterStatus healed = awaitHealthy();
            // coordinator-1, new, took over while coordinator-2 was down; it rebuilt node-2's shards from
            // node-1's and old node-3's
            assertEquals("coordinator-1", healed.leader(), healed.toJson());
            assertEquals(newVersion, healed.leaderRelease(), healed.toJson());
            assertNull(release(healed, "node-3"), healed.toJson());

            stop(3);
            cluster.install(3, newHome);
            writeUpgradeKeys(3, true); // shard format 1, what 0.1 reads, while going back is possible
            start(3);
        } finally {
            summary = workload.stop();
            workload = null;
        }
        System.out.println("workload: " + summary);
        String report = summary + "; events: " + Files.readString(tmp.resolve("upgrade-workload/events"));
        assertEquals("0", summary.getProperty("gave-up"), "every request succeeded through some gateway: " + report);
        assertEquals("0", summary.getProperty("corrupt"), report);
        assertTrue(Integer.parseInt(summary.getProperty("acked")) >= 20, report);
        System.out.println(S3Workload.Running.verify(cluster, 2, tmp.resolve("upgrade-workload"), BUCKET));

        ClusterStatus done = awaitHealthy();
        for (int h = 1; h <= ThreeHostCluster.HOSTS; h++) assertEquals(newVersion, cluster.version(h));
        for (ClusterStatus.Node n : done.nodes()) {
            assertEquals(ClusterStatus.Node.LIVE, n.state(), n.toString());
            assertEquals(newVersion, n.release(), "every node runs the new release: " + n);
        }
        assertEquals(newVersion, done.leaderRelease(), done.toJson());
        assertTrue(done.objectsTotal() >= Integer.parseInt(summary.getProperty("acked")) + 3, done.toJson());
        Path back = tmp.resolve("back-before");
        cluster.s3(1, 3, "s3", "cp", "s3://" + BUCKET + "/before-upgrade", back.toString());
        assertArrayEquals(beforeUpgrade, Files.readAllBytes(back), "written before the upgrade, read after it");
    }

    @Test
    @Order(3)
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aHostRolledBackToThePreviousReleaseReadsWhatTheNewOneWrote() throws Exception {
        awaitHealthy();
        byte[] written = roundTrip(1, 1, 1, "written-by-new");
        assertEquals(java.util.Set.of((short) 1), shardFormats(3), "host 3 wrote only what 0.1 reads");
        stop(3);
        cluster.install(3, oldHome);
        writeUpgradeKeys(3, false); // 0.1 refuses the keys it does not know
        cluster.startBasalt(3);
        cluster.awaitGatewayReady(3, 180);
        ClusterStatus s = cluster.awaitStatus(
                1, x -> allLive(x) && release(x, "node-3") == null, 90, "node-3 live on the previous release");
        assertEquals(previous.version(), cluster.version(3));
        Path back = tmp.resolve("back-rollback");
        cluster.s3(3, 3, "s3", "cp", "s3://" + BUCKET + "/written-by-new", back.toString());
        assertArrayEquals(written, Files.readAllBytes(back), "the old gateway reads the new release's object");
        // and every object of the upgrade's workload, through the old gateway too
        System.out.println(S3Workload.Running.verify(cluster, 3, tmp.resolve("upgrade-workload"), BUCKET));
        byte[] old = roundTrip(3, 3, 1, "written-by-old-again");
        assertTrue(old.length > 0);
        System.out.println("after the rollback: " + s.toJson());
    }

    // ---------------------------------------------------------------- helpers

    /** The format versions of the shard files in host i's data dirs (bytes 4-5 of each file's header). */
    private static java.util.Set<Short> shardFormats(int host) throws IOException {
        java.util.Set<Short> formats = new java.util.TreeSet<>();
        Path data = cluster.config(host).getParent().resolve("data");
        try (var files = Files.walk(data)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (!f.getParent().getParent().getFileName().toString().equals("shards")) continue;
                try (FileChannel ch = FileChannel.open(f)) {
                    ByteBuffer head = ByteBuffer.allocate(6);
                    if (ch.read(head, 0) == 6) formats.add(head.getShort(4));
                }
            }
        }
        return formats;
    }

    /**
     * Adds (or removes) in host i's config the keys the README's upgrade steps add to a host switched from 0.1:
     * {@code storage-node.shard-format = 1} (a node upgraded from 0.1 writes shard files in format 1 until every
     * host runs 0.2 and going back is ruled out; 0.1 reads only format 1) and the fixed data port of the current
     * examples. Going back to 0.1 removes them: it refuses keys it does not know.
     */
    private static void writeUpgradeKeys(int host, boolean present) throws IOException {
        Map<String, String> keys = new java.util.TreeMap<>(Map.of(
                "storage-node.shard-format", "1",
                "storage-node.data-port", "9101",
                "storage-node.advertise-data", cluster.net().hostAddress(host) + ":9101"));
        Path config = cluster.config(host);
        StringBuilder text = new StringBuilder();
        for (String line : Files.readAllLines(config)) {
            if (!keys.containsKey(line.split("=", 2)[0].strip()))
                text.append(line).append('\n');
        }
        if (present)
            keys.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(config, text);
    }

    /** Stops host i's Basalt services as systemd would; each exits cleanly. */
    private static void stop(int host) throws Exception {
        Map<String, Integer> exits = cluster.stopBasalt(host);
        exits.forEach((role, status) -> assertTrue(
                status == 0 || status == 143, "host " + host + "'s " + role + " exits cleanly on SIGTERM: " + status));
        if (workload != null) workload.awaitAcks(2, 90); // the other hosts serve while this one is down
    }

    /** Starts host i's services from its installation (the new package); done when its node is live on it. */
    private static void start(int host) throws Exception {
        assertEquals(newVersion, cluster.version(host));
        cluster.startBasalt(host);
        cluster.awaitGatewayReady(host, 180);
        cluster.awaitStatus(
                host,
                s -> ClusterStatus.Node.LIVE.equals(state(s, "node-" + host))
                        && newVersion.equals(release(s, "node-" + host)),
                60,
                "node-" + host + " live on " + newVersion);
        if (workload != null) workload.awaitAcks(4, 90);
    }

    /** Writes fresh random bytes as {@code key} through gateway {@code in} and reads them back through {@code out}. */
    private static byte[] roundTrip(int from, int in, int out, String key) throws Exception {
        byte[] bytes = new byte[300_000 + new SecureRandom().nextInt(1000)];
        new SecureRandom().nextBytes(bytes);
        Path object = Files.write(tmp.resolve(key), bytes);
        cluster.s3(from, in, "s3", "cp", object.toString(), "s3://" + BUCKET + "/" + key);
        Path back = tmp.resolve(key + ".back");
        cluster.s3(from, out, "s3", "cp", "s3://" + BUCKET + "/" + key, back.toString());
        assertArrayEquals(
                bytes, Files.readAllBytes(back), key + ": written through gateway " + in + ", read through " + out);
        return bytes;
    }

    private static ClusterStatus awaitHealthy() throws Exception {
        return cluster.awaitHealthy(180);
    }

    private static boolean allLive(ClusterStatus s) {
        return ThreeHostCluster.allLive(s);
    }

    private static String state(ClusterStatus s, String node) {
        return ThreeHostCluster.state(s, node);
    }

    /** The release node {@code node} says it runs; null when absent or of a release that does not say. */
    private static String release(ClusterStatus s, String node) {
        return s.nodes().stream()
                .filter(n -> n.id().equals(node))
                .findFirst()
                .map(ClusterStatus.Node::release)
                .orElse(null);
    }
}
