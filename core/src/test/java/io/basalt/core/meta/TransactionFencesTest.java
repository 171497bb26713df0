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
 */
class TransactionFencesTest {

    private static final Keys KEYS = new Keys("/fences-test/");

    @Test
    void aPutThatTimedOutOnAFrozenMemberDoesNotCommitWhenItResumes() throws Exception {
        List<EtcdProcess> cluster = EtcdProcess.startCluster(3);
        // a follower freezes: a frozen leader loses its leadership, and with it what it had not committed
        int f = EtcdLeader.indexIn(cluster) == 0 ? 1 : 0;
        EtcdProcess frozen = cluster.get(f), live = cluster.get(f == 0 ? 1 : 0);
        try (Client toLive = Etcd.connectMember(live.endpoint(), null);
                Client toFrozen = Etcd.connectMember(frozen.endpoint(), null);
                EtcdMetadataStore onLive = new EtcdMetadataStore(toLive, KEYS)) {
            assertTrue(
                    onLive.createBucket(BucketRecord.newBuilder().setName("bkt").build()));
            EtcdMembers members = EtcdMembers.each(
                    List.of(frozen.endpoint(), live.endpoint()), List.of(toFrozen, toLive), KEYS.root() + "probe");
            List<String> failed = new ArrayList<>();
            try (EtcdMetadataStore store = new EtcdMetadataStore(toLive, new EtcdCalls(members, KEYS), KEYS)) {
                // both members answer, so both connections are open when one freezes
                for (int i = 0; i < 4; i++) assertTrue(store.getBucket("bkt").isPresent());
                frozen.freeze();
                try {
                    // PUTs go to the members in turn until the frozen one times out and is suspect
                    for (int i = 0; i < 4; i++) {
                        try {
                            assertEquals(
                                    PutOutcome.COMMITTED, store.putObject("bkt", "k" + i, object(), PutCondition.NONE));
                        } catch (MetadataUnavailableException e) {
                            failed.add("k" + i);
                        }
                    }
                } finally {
                    frozen.resume();
                }
            }
            assertFalse(failed.isEmpty(), "a PUT sent to the frozen member timed out");

            // the resumed member reads what it held and forwards it; give the leader time to apply it
            awaitCaughtUp(toFrozen, toLive);
            Thread.sleep(2_000);
            for (String key : failed) {
                assertTrue(
                        onLive.getObject("bkt", key).isEmpty(), key + " was answered as failed and must stay absent");
            }
            long fences = toLive.getKVClient()
                    .get(
                            Etcd.bs(KEYS.fence("")),
                            GetOption.builder()
                                    .isPrefix(true)
                                    .withCountOnly(true)
                                    .build())
                    .get(10, TimeUnit.SECONDS)
                    .getCount();
            assertEquals(failed.size(), fences, "each failed PUT's fence was raised, and no other");
            for (int i = 0; i < 4; i++) {
                String key = "k" + i;
                if (!failed.contains(key))
                    assertTrue(onLive.getObject("bkt", key).isPresent(), key + " was acknowledged");
            }
        } finally {
            cluster.forEach(EtcdProcess::close);
        }
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
