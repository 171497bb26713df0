package io.basalt.deploy;

import static io.basalt.deploy.PrivateNetwork.address;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.coordinator.admin.ClusterStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
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
 * The guide's three hosts from the release package ({@link ThreeHostCluster}), one cluster for the class, checked
 * in order: S3 round trips through every gateway and {@code basalt admin status}; a certificate of another CA
 * refused by etcd and the storage nodes; host 3's network cut and restored under a client workload; a rolling
 * restart under a client workload. After each, every acknowledged object reads back byte-exact through every
 * gateway. The default suite restarts host 1 (storage node, gateway, coordinator) and keeps host 3 cut for 10
 * acknowledged writes; {@code -Dbasalt.multihost.full=true} (not set by {@code ./basalt test}) restarts every
 * host, one after the other, and keeps host 3 cut for 40. Skipped, saying why, without root, iproute2
 * namespaces, etcd, curl or the aws CLI.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostTest {

    static final boolean FULL = Boolean.getBoolean("basalt.multihost.full");
    static final String BUCKET = "smoke";
    static final int FAULT_TEST_MINUTES = 6;
    // host 1 runs every role, and likely the leading coordinator
    static final List<Integer> RESTARTED = FULL ? List.of(1, 2, 3) : List.of(1);

    @TempDir
    static Path tmp;

    static ThreeHostCluster cluster;

    @RegisterExtension
    static final TestExecutionExceptionHandler WITH_LOGS = (context, e) -> {
        throw cluster == null ? e : new AssertionError(e.getMessage() + "\n" + cluster.logTails(), e);
    };

    @BeforeAll
    static void startCluster() throws Exception {
        String why = ThreeHostCluster.unavailable();
        Assumptions.assumeTrue(why == null, () -> "multi-host tests skipped: " + why);
        cluster = ThreeHostCluster.start(tmp);
        cluster.s3(1, 1, "s3", "mb", "s3://" + BUCKET);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
        cluster = null;
    }

    @Test
    @Order(1)
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void everyGatewayServesS3AcrossThreeHostsStartedFromTheReleasePackage() throws Exception {
        for (int g = 1; g <= ThreeHostCluster.HOSTS; g++) {
            int other = g % ThreeHostCluster.HOSTS + 1;
            byte[] bytes = new byte[700_000 + g];
            new SecureRandom().nextBytes(bytes);
            Path object = Files.write(tmp.resolve("object-" + g), bytes);
            // written through gateway g from another host, read through the next host's gateway
            cluster.s3(other, g, "s3", "cp", object.toString(), "s3://" + BUCKET + "/object-" + g);
            Path back = tmp.resolve("back-" + g);
            cluster.s3(g, other, "s3", "cp", "s3://" + BUCKET + "/object-" + g, back.toString());
            assertArrayEquals(bytes, Files.readAllBytes(back), "object-" + g);
        }

        ClusterStatus status = cluster.status(ThreeHostCluster.HOSTS);
        assertEquals(ThreeHostCluster.HOSTS, status.nodes().size(), status.toJson());
        for (ClusterStatus.Node n : status.nodes()) {
            assertEquals(ClusterStatus.Node.LIVE, n.state(), n.toString());
            assertTrue(n.address().startsWith("10.77."), "registered at its host's address: " + n);
            assertTrue(n.shards() > 0, "2+1 puts a shard of every object on every host: " + n);
        }
        assertTrue(List.of("coordinator-1", "coordinator-2").contains(status.leader()), status.leader());
    }

    @Test
    @Order(2)
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aCertificateOfAnotherCaIsRefusedByEtcdAndTheStorageNodes() throws Exception {
        Path otherCa = tmp.resolve("other-ca");
        Path stranger = tmp.resolve("other-tls");
        cluster.basalt("admin", "tls", "create-ca", "--dir", otherCa.toString());
        cluster.basalt(
                "admin",
                "tls",
                "issue",
                "--ca",
                otherCa.toString(),
                "--out",
                stranger.toString(),
                "--host",
                address(1));
        Path member = cluster.tls(1);
        String etcd = "https://" + address(2) + ":2379/health";
        String node = "https://" + address(2) + ":9100/";

        // host 1 dials host 2 with its own certificate: both TLS handshakes pass, the server names checked
        assertTrue(curl(member, member, etcd).output().contains("\"health\":\"true\""), "etcd answers a member");
        assertNotEquals("000", curl(member, member, node).output(), "the node's gRPC server answers over HTTP/2");

        // the same, presenting the other CA's certificate (the server still trusted): refused at the handshake
        BareMetalTest.Run etcdRefused = curl(member, stranger, etcd);
        assertNotEquals(0, etcdRefused.status(), "etcd refuses another CA's client: " + etcdRefused.output());
        assertFalse(etcdRefused.output().contains("health"), etcdRefused.output());
        BareMetalTest.Run nodeRefused = curl(member, stranger, node);
        assertNotEquals(0, nodeRefused.status(), "the node refuses another CA's client: " + nodeRefused.output());
        assertEquals("000", nodeRefused.output(), "no HTTP answer");

        // and a client that trusts only the other CA refuses the cluster's servers
        BareMetalTest.Run untrusted = curl(stranger, member, etcd);
        assertNotEquals(0, untrusted.status(), untrusted.output());

        // host 2's certificate names only 10.77.2.2: with the first endpoint (host 1's address, a closed port) out
        // of reach, the admin CLI on host 2 gets through to host 2's member, checked against its own name
        ClusterStatus viaSecond =
                cluster.status(2, "--etcd", "https://" + address(1) + ":1,https://" + address(2) + ":2379");
        assertEquals(ThreeHostCluster.HOSTS, viaSecond.nodes().size(), viaSecond.toJson());
    }

    @Test
    @Order(3)
    @Timeout(value = FAULT_TEST_MINUTES, unit = TimeUnit.MINUTES)
    void aHostCutOffAndRestoredLosesNoAcknowledgedWrite() throws Exception {
        awaitHealthy();
        S3Workload.Running workload = S3Workload.Running.start(cluster, 1, tmp.resolve("cut-workload"), BUCKET);
        Properties summary;
        try {
            workload.awaitAcks(6, 60);
            cluster.cut(3);
            try {
                // the cut is real: host 1 no longer reaches host 3's gateway, and the cluster sees node-3 go
                BareMetalTest.Run probe = cluster.run(
                        1, List.of("curl", "-s", "--max-time", "3", cluster.gateway(3) + "/minio/health/live"));
                assertNotEquals(0, probe.status(), "host 3's gateway is out of reach: " + probe.output());
                cluster.awaitStatus(1, s -> "down".equals(state(s, "node-3")), 60, "node-3 down");
                // writes go on through hosts 1 and 2, with one shard short: degraded until host 3 is back
                workload.awaitAcks(FULL ? 40 : 10, 180);
                ClusterStatus during = cluster.status(1);
                assertTrue(during.objectsDegraded() > 0, "objects written during the cut lack a shard: " + during);
            } finally {
                cluster.restore(3);
            }
            cluster.awaitGatewayReady(3, 120);
            cluster.awaitStatus(1, MultiHostTest::allLive, 60, "node-3 live again");
            workload.awaitAcks(6, 60);
        } finally {
            summary = workload.stop();
        }
        assertWorkloadKeptGoing(summary, workload);
        assertTrue(failedThrough(summary, 3), "requests went to the cut host's gateway, and failed: " + summary);
        System.out.println(workload.verifyFrom(cluster, 2));
        ClusterStatus healed = awaitHealthy();
        assertTrue(healed.objectsTotal() >= workload.acked(), healed.toJson());
    }

    @Test
    @Order(4)
    @Timeout(value = FAULT_TEST_MINUTES, unit = TimeUnit.MINUTES)
    void aRollingRestartUnderReadsAndWritesLosesNoAcknowledgedWrite() throws Exception {
        awaitHealthy();
        S3Workload.Running workload = S3Workload.Running.start(cluster, 3, tmp.resolve("restart-workload"), BUCKET);
        Properties summary;
        try {
            workload.awaitAcks(4, 60);
            for (int host : RESTARTED) restart(host, workload);
        } finally {
            summary = workload.stop();
        }
        assertWorkloadKeptGoing(summary, workload);
        for (int host : RESTARTED) {
            assertTrue(
                    failedThrough(summary, host),
                    "requests went to gateway " + host + " while it restarted, and failed: " + summary);
        }
        System.out.println(workload.verifyFrom(cluster, 2));
        awaitHealthy();
    }

    /** Whether the workload saw requests through host {@code gateway}'s gateway fail. */
    private static boolean failedThrough(Properties summary, int gateway) {
        return Integer.parseInt(summary.getProperty("errors.gateway-" + gateway, "0")) > 0;
    }

    /**
     * Stops host i's Basalt processes as systemd would (SIGTERM, a wait) and starts them again from the same
     * package and config once the others have served a few requests; done when its gateway is ready and its node
     * live, a few more requests were acknowledged and no object is degraded.
     */
    private static void restart(int host, S3Workload.Running workload) throws Exception {
        Map<String, Integer> exits = cluster.stopBasalt(host);
        assertFalse(exits.isEmpty());
        exits.forEach((role, status) -> assertTrue(
                status == 0 || status == 143, "host " + host + "'s " + role + " exits cleanly on SIGTERM: " + status));
        workload.awaitAcks(2, 60); // the other hosts serve while this one is down
        cluster.startBasalt(host);
        cluster.awaitGatewayReady(host, 180);
        cluster.awaitStatus(
                host, s -> ClusterStatus.Node.LIVE.equals(state(s, "node-" + host)), 60, "node-" + host + " live");
        workload.awaitAcks(4, 60);
        // as the guide says: the next host only once no object lacks a shard (writes while this host was down
        // left theirs behind, queued for healing; restarting another holder first could leave one unreadable)
        awaitHealthy();
    }

    // ---------------------------------------------------------------- helpers

    /** Every request succeeded within the workload's patience, and no read or ETag ever differed. */
    private static void assertWorkloadKeptGoing(Properties summary, S3Workload.Running workload) throws Exception {
        String report = summary + "; events: " + workload.events();
        System.out.println("workload: " + summary);
        assertEquals("0", summary.getProperty("gave-up"), "every request succeeded through some gateway: " + report);
        assertEquals("0", summary.getProperty("corrupt"), report);
        assertTrue(Integer.parseInt(summary.getProperty("acked")) >= 10, report);
        assertTrue(Integer.parseInt(summary.getProperty("reads")) >= 10, report);
    }

    private static ClusterStatus awaitHealthy() throws Exception {
        return cluster.awaitHealthy(120);
    }

    private static boolean allLive(ClusterStatus s) {
        return ThreeHostCluster.allLive(s);
    }

    private static String state(ClusterStatus s, String node) {
        return ThreeHostCluster.state(s, node);
    }

    /**
     * curl on host 1 trusting the CA of {@code trust} and presenting the certificate of {@code identity}; for the
     * node's gRPC port (HTTP/2 only) its output is the HTTP status, "000" when none came.
     */
    private static BareMetalTest.Run curl(Path trust, Path identity, String url) throws Exception {
        List<String> command = new ArrayList<>(ThreeHostCluster.curlTls(trust, identity));
        if (url.endsWith(":9100/")) command.addAll(List.of("--http2", "-o", "/dev/null", "-w", "%{http_code}"));
        command.add(url);
        return cluster.run(1, command);
    }
}
