package io.basalt.gateway.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.MetadataStore;
import io.basalt.proto.meta.HealRecord;
import io.basalt.proto.meta.Segment;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A committed write's left-behind shards, and a corrupt shard a read served around, are queued for healing before
 * the client is answered, unless the metadata store takes longer than {@link S3Context#HEAL_QUEUE_PATIENCE_MS} (an
 * etcd member just cut off): then the answer goes first and the heal is still queued. The store here is a stand-in that only queues heals: what is
 * under test is how long the write's thread waits, not etcd (the integration tests cover the etcd side).
 */
class HealQueueingTest {

    private final BlockingQueue<HealRecord> queued = new LinkedBlockingQueue<>();
    private final CountDownLatch etcdAnswers = new CountDownLatch(1);
    private volatile boolean slow;

    private final MetadataStore store = (MetadataStore) Proxy.newProxyInstance(
            MetadataStore.class.getClassLoader(), new Class<?>[] {MetadataStore.class}, (proxy, method, args) -> {
                if (!method.getName().equals("queueHeal")) throw new UnsupportedOperationException(method.getName());
                if (slow) etcdAnswers.await();
                queued.add((HealRecord) args[0]);
                return null;
            });

    private final S3Context ctx = new S3Context(store, null, null, null, 0);
    private final Segment seg = Segment.newBuilder().setShardSet("set-1").build();

    @Test
    void anAnsweringStoreHasTheHealQueuedBeforeTheWriteIsAnswered() {
        ctx.reportLeftBehind("b", "k", "", seg, List.of(2));

        HealRecord heal = queued.poll();
        assertEquals("set-1", heal.getShardSet());
        assertEquals(List.of(2), heal.getShardsList());
        assertEquals("k", heal.getKey());
        assertTrue(heal.getReason().contains("left behind"), heal.getReason());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS) // waiting for etcd to answer would never end
    void aSilentStoreHoldsTheAnswerNoLongerThanThePatienceAndTheHealIsQueuedWhenItAnswers() throws Exception {
        slow = true;
        long t0 = System.nanoTime();
        ctx.reportLeftBehind("b", "k", "", seg, List.of(1, 2));
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        // it returned, with etcd still silent (the latch opens only below), after waiting the whole patience
        assertTrue(waitedMs >= S3Context.HEAL_QUEUE_PATIENCE_MS, "answered before the patience ran out: " + waitedMs);
        assertTrue(queued.isEmpty(), "nothing queued while etcd is silent");

        etcdAnswers.countDown();
        HealRecord heal = queued.poll(10, TimeUnit.SECONDS);
        assertEquals(List.of(1, 2), heal == null ? null : heal.getShardsList(), "queued once etcd answered");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aReadThatMetACorruptShardIsHeldNoLongerThanThePatienceEither() throws Exception {
        slow = true;
        long t0 = System.nanoTime();
        ctx.reportCorrupt("b", "k", seg, 3);
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        assertTrue(waitedMs >= S3Context.HEAL_QUEUE_PATIENCE_MS, "answered before the patience ran out: " + waitedMs);
        assertTrue(queued.isEmpty(), "nothing queued while etcd is silent");

        etcdAnswers.countDown();
        HealRecord heal = queued.poll(10, TimeUnit.SECONDS);
        assertEquals(List.of(3), heal == null ? null : heal.getShardsList(), "queued once etcd answered");
        assertTrue(heal.getReason().contains("corrupt"), heal.getReason());
    }
}
