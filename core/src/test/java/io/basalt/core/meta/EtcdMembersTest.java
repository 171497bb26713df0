package io.basalt.core.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.meta.BucketRecord;
import io.basalt.testkit.EtcdProcess;
import io.etcd.jetcd.Client;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A store over several etcd members stops sending to one that froze (SIGSTOP, its connections left open, as a
 * frozen or cut-off host leaves them), and sends to it again once it answers.
 *
 * <p>The two "members" here are two single-member etcd clusters holding the same bucket, so that which one a call
 * went to shows in where its write landed: a store that kept sending transactions to the frozen one would fail
 * them at the deadline (MetadataUnavailableException fails the test).
 */
class EtcdMembersTest {

    private static final Keys KEYS = new Keys("/members/");

    @Test
    void aFrozenMemberGetsNoCallsUntilItAnswersAgain() throws Exception {
        try (EtcdProcess live = EtcdProcess.start();
                EtcdProcess frozen = EtcdProcess.start();
                Client toLive = Etcd.connectMember(live.endpoint(), null);
                Client toFrozen = Etcd.connectMember(frozen.endpoint(), null);
                EtcdMetadataStore onLive = new EtcdMetadataStore(toLive, KEYS);
                EtcdMetadataStore onFrozen = new EtcdMetadataStore(toFrozen, KEYS)) {
            BucketRecord b = BucketRecord.newBuilder().setName("bkt").build();
            assertTrue(onLive.createBucket(b));
            assertTrue(onFrozen.createBucket(b));
            EtcdMembers members = EtcdMembers.each(
                    List.of(frozen.endpoint(), live.endpoint()), List.of(toFrozen, toLive), KEYS.root() + "probe");
            try (EtcdMetadataStore store = new EtcdMetadataStore(toLive, new EtcdCalls(members, KEYS), KEYS)) {
                // both members answer, so both connections are open when one freezes
                for (int i = 0; i < 4; i++) assertTrue(store.getBucket("bkt").isPresent());
                assertEquals(List.of(), members.suspects());

                frozen.freeze();
                try {
                    // range reads go to the members in turn: the one sent to the frozen member is asked of the live
                    // one after its hedge delay (at most 2 s), not failed at the range read's deadline (10 s)
                    for (int i = 0; i < 2; i++) {
                        long t0 = System.nanoTime();
                        assertEquals(List.of(), store.listUploads("bkt"), "scan " + i);
                        long ms = (System.nanoTime() - t0) / 1_000_000;
                        assertTrue(ms < 5_000, "scan " + i + " took " + ms + " ms");
                    }
                    assertEquals(List.of(frozen.endpoint()), members.suspects());
                    // every read answers: one sent to the frozen member is asked of the live one as well
                    for (int i = 0; i < 20; i++)
                        assertTrue(store.getBucket("bkt").isPresent(), "read " + i);
                    assertEquals(List.of(frozen.endpoint()), members.suspects());
                    // and transactions, which are never sent twice, go to the live member only
                    for (int i = 0; i < 10; i++) {
                        assertTrue(store.createBucket(bucket("while-frozen-" + i)), "create " + i);
                    }
                    for (int i = 0; i < 10; i++) {
                        assertTrue(onLive.getBucket("while-frozen-" + i).isPresent(), "landed on the live member");
                    }
                } finally {
                    frozen.resume();
                }

                // a probe finds it answering again (probes run every half second)
                for (int i = 0; i < 120 && !members.suspects().isEmpty(); i++) Thread.sleep(250);
                assertEquals(List.of(), members.suspects(), "the resumed member answers its probe");
                for (int i = 0; i < 10; i++) assertTrue(store.createBucket(bucket("after-" + i)));
                long onFrozenNow = java.util.stream.IntStream.range(0, 10)
                        .filter(i -> onFrozen.getBucket("after-" + i).isPresent())
                        .count();
                assertEquals(5, onFrozenNow, "calls alternate between the two members again");
                assertTrue(onFrozen.getBucket("while-frozen-0").isEmpty(), "nothing went to it while frozen");
            }
        }
    }

    /**
     * A member that is gone (its port refuses connections) received none of the transactions sent to it, so each
     * may go to another member: none fails, and all land on the live one. Range reads sent to it go to the live one.
     */
    @Test
    void aTransactionRefusedAConnectionGoesToAnotherMember() throws Exception {
        try (EtcdProcess live = EtcdProcess.start();
                Client toLive = Etcd.connectMember(live.endpoint(), null);
                EtcdMetadataStore onLive = new EtcdMetadataStore(toLive, KEYS)) {
            EtcdProcess gone = EtcdProcess.start();
            try (Client toGone = Etcd.connectMember(gone.endpoint(), null)) {
                EtcdMembers members = EtcdMembers.each(
                        List.of(gone.endpoint(), live.endpoint()), List.of(toGone, toLive), KEYS.root() + "probe");
                try (EtcdMetadataStore store = new EtcdMetadataStore(toLive, new EtcdCalls(members, KEYS), KEYS)) {
                    assertTrue(store.createBucket(bucket("before-0")));
                    assertTrue(store.createBucket(bucket("before-1")));
                    gone.close();
                    // range reads (listings) go to the members in turn too: the one sent to the gone member is
                    // asked of the live one
                    for (int i = 0; i < 2; i++) assertEquals(List.of(), store.listUploads("before-0"), "scan " + i);
                    for (int i = 0; i < 10; i++) assertTrue(store.createBucket(bucket("after-" + i)), "create " + i);
                    for (int i = 0; i < 10; i++)
                        assertTrue(onLive.getBucket("after-" + i).isPresent());
                    assertEquals(List.of(gone.endpoint()), members.suspects());
                }
            } finally {
                gone.close();
            }
        }
    }

    private static BucketRecord bucket(String name) {
        return BucketRecord.newBuilder().setName(name).build();
    }
}
