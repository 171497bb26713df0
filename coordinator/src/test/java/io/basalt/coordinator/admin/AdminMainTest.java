package io.basalt.coordinator.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.coordinator.Coordinator;
import io.basalt.core.meta.ClusterMetadata;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.EtcdMetadataStore;
import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.secrets.AccessKeys;
import io.basalt.core.secrets.ClusterKey;
import io.basalt.proto.meta.AccessKeyRecord;
import io.basalt.proto.meta.BucketGrant;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.NodeRecord;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.storage.Scrubber;
import io.basalt.storage.StorageNode;
import io.basalt.storage.StorageNodeConfig;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code basalt admin} against a real etcd with real registered storage nodes. */
class AdminMainTest {

    static final Keys KEYS = Keys.defaults();
    static final ErasureLayout LAYOUT =
            ErasureLayout.newBuilder().setK(1).setM(1).setBlockSize(1 << 20).build();

    @TempDir
    Path tmp;

    EtcdProcess etcd;
    final List<StorageNode> nodes = new ArrayList<>();
    EtcdMetadataStore meta;
    Coordinator coordinator;

    @BeforeEach
    void start() throws Exception {
        etcd = EtcdProcess.start(tmp.resolve("etcd"));
        for (String id : List.of("node-a", "node-b")) {
            nodes.add(StorageNode.start(new StorageNodeConfig(
                    id,
                    "127.0.0.1",
                    0,
                    List.of(tmp.resolve(id)),
                    etcd.endpoint(),
                    KEYS.root(),
                    Duration.ofSeconds(3),
                    Scrubber.Config.DISABLED)));
        }
        meta = EtcdMetadataStore.connect(List.of(etcd.endpoint()), KEYS);
        meta.createBucket(BucketRecord.newBuilder().setName("b1").build());
        meta.createBucket(BucketRecord.newBuilder().setName("b2").build());
    }

    @AfterEach
    void stop() {
        if (coordinator != null) coordinator.close();
        for (StorageNode n : nodes) n.close();
        if (meta != null) meta.close();
        if (etcd != null) etcd.close();
    }

    /**
     * A write that met its quorum names a shard that trailed it as held and queues it for healing; until the heal
     * the object lacks that shard, and an operator waiting for "0 degraded" before restarting the next host must
     * wait for it (restarting another holder would leave it unreadable).
     */
    @Test
    void anObjectWithAShardQueuedForHealingIsDegraded() throws Exception {
        put("b1", "whole", segment("s5", List.of("node-a", "node-b"), List.of()));
        put("b1", "left-behind", segment("s6", List.of("node-a", "node-b"), List.of()));
        Run before = admin("status", "--json", "--etcd", etcd.endpoint());
        assertEquals(0, ClusterStatus.fromJson(before.out()).objectsDegraded(), before.out());
        meta.queueHeal(HealRecord.newBuilder()
                .setShardSet("s6")
                .addShards(1)
                .setReason("trailing write failed")
                .build());
        Run after = admin("status", "--json", "--etcd", etcd.endpoint());
        ClusterStatus s = ClusterStatus.fromJson(after.out());
        assertEquals(2, s.objectsTotal(), after.out());
        assertEquals(1, s.objectsDegraded(), after.out());
    }

    @Test
    void statusJsonListsNodesHealProgressAndObjectHealth() throws Exception {
        put("b1", "healthy", segment("s1", List.of("node-a", "node-b"), List.of()));
        put("b1", "missing-shard", segment("s2", List.of("node-a", ""), List.of(1)));
        put("b2", "on-vanished-node", segment("s3", List.of("node-b", "node-gone"), List.of()));
        put("b2", "healthy-too", segment("s4", List.of("node-b", "node-a"), List.of()));
        // a node seen before but down now, with the record it last had
        putBytes(
                KEYS.nodeSeen("node-old"),
                NodeRecord.newBuilder()
                        .setNodeId("node-old")
                        .setAddress("10.0.0.9:7000")
                        .setZone("z2")
                        .setFreeBytes(5)
                        .setTotalBytes(10)
                        .addFailedDirs("/disk2")
                        .build()
                        .toByteArray());
        meta.queueHeal(HealRecord.newBuilder().setShardSet("s9").addShards(0).build());
        long now = System.currentTimeMillis();
        CoordinatorStatus.Lifecycle lifecycle = new CoordinatorStatus.Lifecycle(4, 0, now - 5_000, 120, 1, 9000, 37, 2);
        putBytes(
                KEYS.status("coordinator"),
                new CoordinatorStatus(
                                "c9",
                                now,
                                new CoordinatorStatus.Heal(7, 3, 1, 40, 12345, 100 << 20, false),
                                new CoordinatorStatus.Gc(0),
                                null,
                                lifecycle)
                        .toJson()
                        .getBytes(StandardCharsets.UTF_8));
        meta.putLifecycle(
                "b2",
                io.basalt.proto.meta.LifecycleConfiguration.newBuilder()
                        .addRules(io.basalt.proto.meta.LifecycleRule.newBuilder()
                                .setEnabled(true)
                                .setExpirationDays(1))
                        .build());

        Run r = admin("status", "--json", "--etcd", etcd.endpoint());
        assertEquals(0, r.status(), r.err());
        ClusterStatus s = ClusterStatus.fromJson(r.out());
        assertEquals(4, s.objectsTotal());
        assertEquals(2, s.objectsDegraded());
        Map<String, ClusterStatus.Node> byId =
                s.nodes().stream().collect(Collectors.toMap(ClusterStatus.Node::id, Function.identity()));
        assertEquals(
                List.of("node-a", "node-b", "node-gone", "node-old"),
                s.nodes().stream().map(ClusterStatus.Node::id).toList());
        assertEquals("live", byId.get("node-a").state());
        assertEquals(nodes.get(0).address(), byId.get("node-a").address());
        assertTrue(byId.get("node-a").freeBytes() > 0);
        assertEquals("down", byId.get("node-gone").state());
        assertEquals("", byId.get("node-gone").address());
        assertEquals(
                new ClusterStatus.Node(
                        "node-old",
                        "10.0.0.9:7000",
                        "down",
                        "z2",
                        5,
                        10,
                        0,
                        0,
                        null,
                        List.of("/disk2"),
                        List.of(),
                        List.of(),
                        null),
                byId.get("node-old"));
        assertEquals(List.of(), byId.get("node-a").failedDirs());
        // progress from the leader's status; the queue counted fresh: s9, and s2 queued by its PUT
        assertEquals(new CoordinatorStatus.Heal(2, 3, 1, 40, 12345, 100 << 20, false), s.heal());
        assertNull(s.leader(), "no coordinator holds the election");
        assertEquals(new ClusterStatus.Lifecycle(1, lifecycle), s.lifecycle());

        // The document's top-level names are a contract with scripts.
        var json = com.google.gson.JsonParser.parseString(r.out()).getAsJsonObject();
        for (String field : List.of("nodes", "heal", "objects_total", "objects_degraded"))
            assertTrue(json.has(field), field);
        assertEquals(2, json.get("objects_degraded").getAsLong());
        assertEquals(2, json.getAsJsonObject("heal").get("queued").getAsLong());
        assertEquals(
                "live",
                json.getAsJsonArray("nodes")
                        .get(0)
                        .getAsJsonObject()
                        .get("state")
                        .getAsString());

        Run text = admin("status", "--etcd", etcd.endpoint());
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().contains("objects: 4 total, 2 degraded"), text.out());
        assertTrue(text.out().contains("nodes: 2 live, 2 down"), text.out());
        assertTrue(text.out().contains("failed data dirs (restart the node once replaced): /disk2"), text.out());
        assertTrue(text.out().contains("lifecycle: 1 buckets with rules, 4 passes, last "), text.out());
        assertTrue(
                text.out().contains("(9000 objects scanned in 120 ms), 37 objects expired, 2 uploads aborted"),
                text.out());
    }

    @Test
    void statusShowsWhichGatewaysAvoidANodeUntilTheirSuspicionExpires() throws Exception {
        try (ClusterMetadata cluster = EtcdMetadata.connect(List.of(etcd.endpoint()), KEYS)) {
            cluster.admin()
                    .reportSuspect("node-a", "gateway@h1-7", "3 late answers in a row", Duration.ofMinutes(5))
                    .get(10, TimeUnit.SECONDS);
            cluster.admin()
                    .reportSuspect("node-b", "gateway@h2-9", "a request to it failed", Duration.ofSeconds(1))
                    .get(10, TimeUnit.SECONDS);
        }
        ClusterStatus s = status();
        Map<String, ClusterStatus.Node> byId =
                s.nodes().stream().collect(Collectors.toMap(ClusterStatus.Node::id, Function.identity()));
        assertEquals(
                List.of("gateway@h1-7: 3 late answers in a row"),
                byId.get("node-a").suspectedBy());
        Run text = admin("status", "--etcd", etcd.endpoint());
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().contains("avoided for now by gateway@h1-7: 3 late answers in a row"), text.out());
        // a suspicion lasts as long as its lease: node-b's one-second report goes away by itself
        awaitTrue(
                () -> status().nodes().stream()
                        .filter(n -> n.id().equals("node-b"))
                        .allMatch(n -> n.suspectedBy().isEmpty()),
                "node-b's suspicion expired");
        assertEquals(
                List.of("gateway@h1-7: 3 late answers in a row"),
                status().nodes().stream()
                        .filter(n -> n.id().equals("node-a"))
                        .findFirst()
                        .orElseThrow()
                        .suspectedBy());
    }

    @Test
    void theLeaderPublishesStatusAndAHealRequestReachesIt() throws Exception {
        put("b1", "healthy", segment("s1", List.of("node-a", "node-b"), List.of()));
        coordinator = Coordinator.start(new Coordinator.Config(
                "coord-1",
                List.of(etcd.endpoint()),
                KEYS.root(),
                Duration.ofMinutes(10),
                Duration.ofMillis(200),
                3,
                Duration.ofHours(24),
                Duration.ofMinutes(10)));
        awaitTrue(
                () -> status().leader() != null
                        && status().statusAgeMs() != null
                        && status().heal().scanned() > 0,
                "the leader's status published");
        ClusterStatus s = status();
        assertEquals("coord-1", s.leader());
        assertEquals(
                List.of("live", "live"),
                s.nodes().stream().map(ClusterStatus.Node::state).toList());
        assertEquals(Coordinator.Config.DEFAULT_HEAL_BYTES_PER_SECOND, s.heal().rateBytesPerSecond());

        // The operator changes the heal rate at run time.
        putBytes(KEYS.config("heal-rate-mbps"), "25".getBytes(StandardCharsets.UTF_8));
        awaitTrue(() -> status().heal().rateBytesPerSecond() == 25L << 20, "heal rate from etcd applied");

        // A node that stops is still listed, as down, from nodes-seen/.
        nodes.remove(1).close();
        awaitTrue(
                () -> status().nodes().stream()
                        .anyMatch(n -> n.id().equals("node-b") && n.state().equals("down")),
                "node-b listed as down");
        assertEquals(1, status().objectsDegraded());

        Run heal = admin("heal", "--etcd", etcd.endpoint());
        assertEquals(0, heal.status(), heal.err());
        awaitTrue(() -> !status().heal().requestPending(), "the leader ran the requested full scan");
    }

    @Test
    void drainAndRebalanceRequestsGoToEtcdAndStatusShowsWhenANodeIsSafeToRemove() throws Exception {
        put("b1", "on-a-and-b", segment("s1", List.of("node-a", "node-b"), List.of()));
        put("b1", "on-b-and-a", segment("s2", List.of("node-b", "node-a"), List.of()));

        Run drain = admin("drain", "node-a", "--etcd", etcd.endpoint());
        assertEquals(0, drain.status(), drain.err());
        assertTrue(drain.out().contains("draining node-a"), drain.out());
        assertTrue(admin("drain", "node-a", "--etcd", etcd.endpoint()).out().contains("already being drained"));
        ClusterStatus.Node a = node(status(), "node-a");
        assertEquals(new ClusterStatus.Drain(DrainStatus.DRAINING, 2, 0, 0, false), a.drain());
        assertEquals(2, a.shards());
        assertEquals(20, a.usedBytes()); // two 1+1 segments of 10 bytes: 10-byte shards
        assertNull(node(status(), "node-b").drain());
        var json = com.google.gson.JsonParser.parseString(
                        admin("status", "--json", "--etcd", etcd.endpoint()).out())
                .getAsJsonObject();
        var nodeA = json.getAsJsonArray("nodes").get(0).getAsJsonObject();
        assertEquals("draining", nodeA.getAsJsonObject("drain").get("state").getAsString());
        assertFalse(nodeA.getAsJsonObject("drain").get("safe_to_remove").getAsBoolean());

        // The leader reports the node drained: safe only once no record references it any more.
        putBytes(
                KEYS.drain("node-a"),
                new DrainStatus(DrainStatus.DRAINED, 1, 2, 0, 2, 0).toJson().getBytes(StandardCharsets.UTF_8));
        assertFalse(node(status(), "node-a").drain().safeToRemove(), "records still name node-a");
        put("b1", "on-a-and-b", segment("s3", List.of("node-c", "node-b"), List.of()));
        put("b1", "on-b-and-a", segment("s4", List.of("node-b", "node-c"), List.of()));
        assertEquals(
                new ClusterStatus.Drain(DrainStatus.DRAINED, 0, 2, 0, true),
                node(status(), "node-a").drain());
        Run text = admin("status", "--etcd", etcd.endpoint());
        assertTrue(text.out().contains("drained: safe to remove"), text.out());

        Run cancel = admin("drain", "--cancel", "node-a", "--etcd", etcd.endpoint());
        assertEquals(0, cancel.status(), cancel.err());
        assertTrue(cancel.out().contains("cancelled"), cancel.out());
        assertNull(node(status(), "node-a").drain());
        assertTrue(admin("undrain", "node-a", "--etcd", etcd.endpoint()).out().contains("was not being drained"));

        Run rebalance = admin("rebalance", "--tolerance", "2.5", "--etcd", etcd.endpoint());
        assertEquals(0, rebalance.status(), rebalance.err());
        assertEquals(
                "2.5",
                new String(
                        meta.client()
                                .getKVClient()
                                .get(ByteSequence.from(KEYS.adminRebalanceRequest(), StandardCharsets.UTF_8))
                                .get()
                                .getKvs()
                                .get(0)
                                .getValue()
                                .getBytes(),
                        StandardCharsets.UTF_8));
        assertTrue(status().rebalance().requestPending());
        assertTrue(admin("status", "--etcd", etcd.endpoint()).out().contains("rebalance: idle (requested)"));

        assertEquals(2, admin("drain", "--etcd", etcd.endpoint()).status(), "drain needs a node");
        assertEquals(2, admin("rebalance", "--tolerance", "lots").status());
        assertEquals(2, admin("status", "--cancel").status());
        assertEquals(2, admin("heal", "node-a").status());
    }

    private static ClusterStatus.Node node(ClusterStatus s, String id) {
        return s.nodes().stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void defaultEtcdComesFromTheDevClustersPortsFile() throws Exception {
        Path dev = Files.createDirectories(tmp.resolve("dev"));
        String port = etcd.endpoint().substring(etcd.endpoint().lastIndexOf(':') + 1);
        Files.writeString(dev.resolve("ports"), "etcd-client=" + port + "\netcd-peer=1\ngateway=9000\n");
        Run r = admin("status", "--json", "--data", dev.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(2, ClusterStatus.fromJson(r.out()).nodes().size());

        Run missing = admin("status", "--data", tmp.resolve("nowhere").toString());
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("ports"), missing.err());
        assertEquals(2, admin("frobnicate").status());
        assertFalse(admin("heal", "--json", "--etcd", etcd.endpoint()).status() == 0);
    }

    @Test
    void aHostsConfigFileNamesTheEtcdToAsk() throws Exception {
        Path config = Files.writeString(
                tmp.resolve("basalt.properties"),
                "roles = storage-node\netcd = " + etcd.endpoint() + "\netcd-prefix = " + KEYS.root()
                        + "\ncluster-tls = none\nstorage-node.id = node-a\n");
        Run r = admin("status", "--json", "--config", config.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(2, ClusterStatus.fromJson(r.out()).nodes().size());

        Files.writeString(config, "roles = storage-node\netcd = " + etcd.endpoint() + "\nzone = a\n");
        Run typo = admin("status", "--config", config.toString());
        assertEquals(2, typo.status());
        assertTrue(typo.err().startsWith("basalt admin: " + config + ": unknown key zone"), typo.err());
    }

    @Test
    void keyCommandsTakeTheClusterKeyOfTheHostsGateway() throws Exception {
        Path clusterKey = tmp.resolve("host-cluster.key");
        Path config = Files.writeString(
                tmp.resolve("gateway-host.properties"),
                "roles = gateway\netcd = " + etcd.endpoint() + "\netcd-prefix = " + KEYS.root()
                        + "\ncluster-tls = none\ngateway.cluster-key = " + clusterKey + "\n");
        // as the launcher runs it on a host: with the host's config added
        Run made = admin("key", "cluster-key", "--out", clusterKey.toString(), "--config", config.toString());
        assertEquals(0, made.status(), made.err());
        Run created = admin("key", "create", "--name", "from-config", "--config", config.toString());
        assertEquals(0, created.status(), created.err());
        Matcher id = Pattern.compile("AccessKeyId: +(\\S+)").matcher(created.out());
        Matcher secret = Pattern.compile("SecretAccessKey: +(\\S+)").matcher(created.out());
        assertTrue(id.find() && secret.find(), created.out());
        try (EtcdMetadata m = EtcdMetadata.connect(List.of(etcd.endpoint()), KEYS)) {
            AccessKeyRecord stored = m.access().get(id.group(1)).orElseThrow();
            assertEquals(secret.group(1), AccessKeys.secretOf(stored, ClusterKey.load(clusterKey)), "sealed by it");
        }

        // without it in the config file, the default (the dev cluster's DIR/cluster.key) is not there
        Files.writeString(
                config,
                "roles = gateway\netcd = " + etcd.endpoint() + "\netcd-prefix = " + KEYS.root()
                        + "\ncluster-tls = none\n");
        Run without = admin(
                "key",
                "create",
                "--config",
                config.toString(),
                "--data",
                tmp.resolve("no-dev").toString());
        assertEquals(1, without.status(), without.out());
    }

    @Test
    void anHttpsEtcdTakesItsCertificatesFromTheFlagTheEnvironmentOrTheDevCluster() {
        Path dev = tmp.resolve("dev-tls");
        AdminMain.Args byFlag = AdminMain.parse(
                new String[] {"status", "--etcd", "https://e:2379", "--cluster-tls", "/etc/basalt/cluster-tls"});
        assertEquals(Path.of("/etc/basalt/cluster-tls"), AdminMain.tlsDir(byFlag, "https://e:2379", "/elsewhere"));
        AdminMain.Args byEnv = AdminMain.parse(new String[] {"status", "--etcd", "https://e:2379"});
        assertEquals(Path.of("/from/env"), AdminMain.tlsDir(byEnv, "https://e:2379", "/from/env"));
        AdminMain.Args devCluster = AdminMain.parse(new String[] {"status", "--data", dev.toString()});
        assertEquals(dev.resolve("tls"), AdminMain.tlsDir(devCluster, "https://127.0.0.1:9079", null));
        assertEquals(null, AdminMain.tlsDir(devCluster, "http://127.0.0.1:9079", null), "plaintext etcd");
        assertThrows(IllegalArgumentException.class, () -> AdminMain.tlsDir(byEnv, "https://e:2379", null));
        Run refused = admin("status", "--etcd", "https://127.0.0.1:1");
        assertEquals(2, refused.status(), refused.err());
        assertTrue(refused.err().contains("--cluster-tls"), refused.err());
    }

    /** Waits for a condition of the background work; there is no bound on when it must happen, only that it does. */
    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) return;
            Thread.sleep(100);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    private ClusterStatus status() {
        Run r = admin("status", "--json", "--etcd", etcd.endpoint());
        assertEquals(0, r.status(), r.err());
        return ClusterStatus.fromJson(r.out());
    }

    @Test
    void keyCommandsMakeSealedKeysAndGrantThemBuckets() throws Exception {
        Path clusterKey = tmp.resolve("cluster.key");
        assertEquals(
                0, admin("key", "cluster-key", "--out", clusterKey.toString()).status());
        Run again = admin("key", "cluster-key", "--out", clusterKey.toString());
        assertEquals(1, again.status(), "an existing cluster key is never replaced");
        String[] conn = {"--etcd", etcd.endpoint(), "--cluster-key", clusterKey.toString()};

        Run created = admin(concat(
                new String[] {"key", "create", "--name", "milvus", "--bucket", "b1", "--allow", "read,write"}, conn));
        assertEquals(0, created.status(), created.err());
        Matcher id = Pattern.compile("AccessKeyId: +(\\S+)").matcher(created.out());
        Matcher secret = Pattern.compile("SecretAccessKey: +(\\S+)").matcher(created.out());
        assertTrue(id.find() && secret.find(), created.out());
        try (EtcdMetadata m = EtcdMetadata.connect(List.of(etcd.endpoint()), KEYS)) {
            AccessKeyRecord stored = m.access().get(id.group(1)).orElseThrow();
            assertEquals("milvus", stored.getName());
            assertFalse(stored.toByteString().toStringUtf8().contains(secret.group(1)), "the secret is stored sealed");
            assertEquals(secret.group(1), AccessKeys.secretOf(stored, ClusterKey.load(clusterKey)));
            assertEquals(
                    Map.of(
                            "b1",
                            BucketGrant.newBuilder()
                                    .setRead(true)
                                    .setWrite(true)
                                    .build()),
                    m.access().grantsOf(id.group(1)));

            assertEquals(
                    0,
                    admin(concat(new String[] {"key", "allow", id.group(1), "b2", "owner"}, conn))
                            .status());
            assertEquals(
                    0,
                    admin(concat(new String[] {"key", "deny", id.group(1), "b1"}, conn))
                            .status());
            Run listed = admin("key", "list", "--etcd", etcd.endpoint());
            assertTrue(listed.out().contains(id.group(1) + "  milvus"), listed.out());
            assertTrue(listed.out().contains("b2: owner") && !listed.out().contains("b1:"), listed.out());
            assertFalse(listed.out().contains(secret.group(1)), "list never shows a secret");

            Run noBucket = admin(concat(new String[] {"key", "allow", id.group(1), "nope", "read"}, conn));
            assertEquals(1, noBucket.status());
            assertTrue(noBucket.err().contains("no bucket nope"), noBucket.err());
            assertEquals(
                    2,
                    admin(concat(new String[] {"key", "allow", id.group(1), "b1", "admin"}, conn))
                            .status());
            Run orphan = admin(concat(new String[] {"key", "create", "--bucket", "nope", "--allow", "read"}, conn));
            assertEquals(1, orphan.status());
            assertEquals(1, m.access().list().size(), "a key whose grant failed is not kept");

            assertEquals(
                    0,
                    admin(concat(new String[] {"key", "delete", id.group(1)}, conn))
                            .status());
            assertTrue(m.access().get(id.group(1)).isEmpty());
            assertTrue(m.access().grantsOf(id.group(1)).isEmpty(), "its grants went with it");
            assertEquals(
                    1,
                    admin(concat(new String[] {"key", "delete", id.group(1)}, conn))
                            .status());
        }
        Run noKeyFile = admin(
                "key",
                "create",
                "--etcd",
                etcd.endpoint(),
                "--cluster-key",
                tmp.resolve("x").toString());
        assertEquals(1, noKeyFile.status(), "no cluster key, no key");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    record Run(int status, String out, String err) {}

    private static Run admin(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = AdminMain.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Segment segment(String shardSet, List<String> nodeIds, List<Integer> missing) {
        return Segment.newBuilder()
                .setShardSet(shardSet)
                .setSize(10)
                .setLayout(LAYOUT)
                .addAllNodeIds(nodeIds)
                .addAllMissingShards(missing)
                .build();
    }

    private void put(String bucket, String key, Segment seg) {
        meta.putObject(
                bucket,
                key,
                ObjectRecord.newBuilder()
                        .setVersionId(seg.getShardSet())
                        .setSize(10)
                        .addSegments(seg)
                        .build(),
                PutCondition.NONE);
    }

    private void putBytes(String key, byte[] value) throws Exception {
        meta.client()
                .getKVClient()
                .put(ByteSequence.from(key, StandardCharsets.UTF_8), ByteSequence.from(value))
                .get();
    }
}
