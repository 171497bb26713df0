package io.basalt.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.meta.MetadataStore.PutOutcome;
import io.basalt.proto.meta.BucketRecord;
import io.basalt.proto.meta.ErasureLayout;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A transaction the store gave up on (its member froze with it unread) does not commit when that member resumes.
 *
 * <p>A real three-member etcd cluster: the store's calls go to a follower and another member in turn, the follower
 * is frozen (SIGSTOP, its connections left open), so a PUT sent to it times out. Without its fence the member, once resumed,
 * forwards the PUT to the leader, which commits it: the object appears after its client was told the PUT failed.
 * The same for the cluster admin's writes (a drain cancelled late).
 */
class TransactionFencesTest {

    private static final Keys KEYS = new Keys("/fences-test/");

    @Test
    void aPutThatTimedOutOnAFrozenMemberDoesNotCommitWhenItResumes() throws Exception {
        List<String> failed = new ArrayList<>();
        aroundAFrozenFollower(
                (calls, toLive) -> {
                    try (EtcdMetadataStore onLive = new EtcdMetadataStore(toLive, KEYS)) {
                        assertTrue(onLive.createBucket(
                                BucketRecord.newBuilder().setName("bkt").build()));
                    }
                },
                (calls, toLive) -> {
                    try (EtcdMetadataStore store = new EtcdMetadataStore(toLive, calls, KEYS)) {
                        // PUTs go to the members in turn until the frozen one times out and is suspect
                        for (int i = 0; i < 4; i++) {
                            try {
                                assertEquals(
                                        PutOutcome.COMMITTED,
                                        store.putObject("bkt", "k" + i, object(), PutCondition.NONE));
                            } catch (MetadataUnavailableException e) {
                                failed.add("k" + i);
                            }
                        }
                    }
                    assertFalse(failed.isEmpty(), "a PUT sent to the frozen member timed out");
                },
                (calls, toLive) -> {
                    try (EtcdMetadataStore onLive = new EtcdMetadataStore(toLive, KEYS)) {
                        for (String key : failed) {
                            assertTrue(
                                    onLive.getObject("bkt", key).isEmpty(),
                                    key + " was answered as failed and must stay absent");
                        }
                        assertEquals(failed.size(), fences(toLive), "each failed PUT's fence was raised, and no other");
                        for (int i = 0; i < 4; i++) {
                            String key = "k" + i;
                            if (!failed.contains(key))
                                assertTrue(onLive.getObject("bkt", key).isPresent(), key + " was acknowledged");
                        }
                    }
                });
    }

    /**
     * The cluster admin's writes are fenced too: a drain cancellation that timed out on the frozen member, followed
     * by the operator's new drain of the same node, must not delete that drain when the member resumes.
     */
    @Test
    void aDrainCancelledOnAFrozenMemberDoesNotUndoALaterDrain() throws Exception {
        aroundAFrozenFollower(
                (calls, toLive) -> assertTrue(onlyThrough(toLive).startDrain("n1", "first")),
                (calls, toLive) -> {
                    ClusterAdmin admin = new EtcdClusterAdmin(toLive, calls, KEYS);
                    ClusterAdmin onLive = onlyThrough(toLive);
                    boolean timedOut = false;
                    // cancellations go to the members in turn: the one sent to the frozen member times out
                    for (int i = 0; i < 4 && !timedOut; i++) {
                        try {
                            assertTrue(admin.cancelDrain("n1"), "cancel " + i);
                            assertTrue(onLive.startDrain("n1", "first"));
                        } catch (MetadataUnavailableException e) {
                            timedOut = true;
                        }
                    }
                    assertTrue(timedOut, "a cancellation sent to the frozen member timed out");
                    // the operator cancels again and drains anew
                    assertTrue(onLive.cancelDrain("n1"));
                    assertTrue(onLive.startDrain("n1", "second"));
                },
                (calls, toLive) -> {
                    Versioned<String> drain = onlyThrough(toLive).drains().get("n1");
                    assertTrue(drain != null, "the later drain stands");
                    assertEquals("second", drain.value());
                    assertEquals(1, fences(toLive), "the timed-out cancellation's fence was raised");
                });
    }

    /** One step of a test, given the calls through a follower and another member, and a client of the latter. */
    private interface Step {
        void run(EtcdCalls calls, Client toLive) throws Exception;
    }

    /**
     * A real 3-member cluster: {@code before} runs with every member up, {@code frozen} while a follower is frozen
     * (a frozen leader loses its leadership, and with it what it had not committed), {@code after} once the follower
     * resumed, caught up, and had time to forward what it held to the leader.
     */
    private static void aroundAFrozenFollower(Step before, Step frozen, Step after) throws Exception {
        List<EtcdProcess> cluster = EtcdProcess.startCluster(3);
        int f = EtcdLeader.indexIn(cluster) == 0 ? 1 : 0;
        EtcdProcess follower = cluster.get(f), live = cluster.get(f == 0 ? 1 : 0);
        try (Client toLive = Etcd.connectMember(live.endpoint(), null);
                Client toFrozen = Etcd.connectMember(follower.endpoint(), null)) {
            EtcdMembers members = EtcdMembers.each(
                    List.of(follower.endpoint(), live.endpoint()), List.of(toFrozen, toLive), KEYS.root() + "probe");
            try (EtcdCalls calls = new EtcdCalls(members, KEYS)) {
                before.run(calls, toLive);
                // both members answer, so both connections are open when one freezes
                for (int i = 0; i < 4; i++) calls.read(kv -> kv.get(Etcd.bs(KEYS.root())));
                follower.freeze();
                try {
                    frozen.run(calls, toLive);
                } finally {
                    follower.resume();
                }
            }
            awaitCaughtUp(toFrozen, toLive);
            Thread.sleep(2_000);
            after.run(null, toLive);
        } finally {
            cluster.forEach(EtcdProcess::close);
        }
    }

    private static ClusterAdmin onlyThrough(Client client) {
        return new EtcdClusterAdmin(client, new EtcdCalls(EtcdMembers.one(client), KEYS), KEYS);
    }

    private static long fences(Client client) throws Exception {
        return client.getKVClient()
                .get(
                        Etcd.bs(KEYS.fence("")),
                        GetOption.builder().isPrefix(true).withCountOnly(true).build())
                .get(10, TimeUnit.SECONDS)
                .getCount();
    }

    /** Waits until the resumed member answers a read at the live member's revision (it has caught up). */
    private static void awaitCaughtUp(Client resumed, Client live) throws Exception {
        long target = live.getKVClient()
                .get(Etcd.bs(KEYS.root()))
                .get(10, TimeUnit.SECONDS)
                .getHeader()
                .getRevision();
        for (int i = 0; i < 100; i++) {
            try {
                long now = resumed.getKVClient()
                        .get(Etcd.bs(KEYS.root()))
                        .get(1, TimeUnit.SECONDS)
                        .getHeader()
                        .getRevision();
                if (now >= target) return;
            } catch (Exception e) {
                // not answering yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the resumed member did not catch up");
    }

    private static ObjectRecord object() {
        Segment seg = Segment.newBuilder()
                .setShardSet("set-" + System.nanoTime())
                .setSize(1)
                .setLayout(ErasureLayout.newBuilder().setK(1).setM(1).setBlockSize(16))
                .addNodeIds("n0")
                .addNodeIds("n1")
                .build();
        return ObjectRecord.newBuilder().setVersionId("v1").addSegments(seg).build();
    }
}
