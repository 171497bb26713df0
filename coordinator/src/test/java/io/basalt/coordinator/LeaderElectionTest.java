package io.basalt.coordinator;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.EtcdProcess;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LeaderElectionTest {

    private static EtcdProcess etcd;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdProcess.start();
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) etcd.close();
    }

    private static Coordinator coordinator(String id, String prefix) {
        return Coordinator.start(new Coordinator.Config(
                id, List.of(etcd.endpoint()), prefix, Duration.ofSeconds(300), Duration.ofSeconds(10), 3));
    }

    @Test
    void exactlyOneLeadsAndTheOtherTakesOverWhenTheLeaderCloses() throws Exception {
        Coordinator a = coordinator("a", "/election-test/");
        Coordinator b = coordinator("b", "/election-test/");
        try {
            awaitTrue(() -> a.isLeader() || b.isLeader(), "a leader within 30 s");
            for (int i = 0; i < 20; i++) { // no split brain while both run
                assertFalse(a.isLeader() && b.isLeader(), "both coordinators lead");
                Thread.sleep(100);
            }
            Coordinator leader = a.isLeader() ? a : b;
            Coordinator follower = leader == a ? b : a;
            leader.close();
            awaitTrue(follower::isLeader, "the follower leads after the leader closed");
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void aRestartedCoordinatorCampaignsAgain() throws Exception {
        Coordinator a = coordinator("a", "/election-test-2/");
        awaitTrue(a::isLeader, "a leads alone");
        Coordinator b = coordinator("b", "/election-test-2/");
        try {
            Thread.sleep(1000);
            assertFalse(b.isLeader(), "b leads while a still does");
            a.close();
            awaitTrue(b::isLeader, "b leads after a closed");
            Coordinator a2 = coordinator("a2", "/election-test-2/");
            try {
                b.close();
                awaitTrue(a2::isLeader, "a2 leads after b closed");
            } finally {
                a2.close();
            }
        } finally {
            a.close();
            b.close();
        }
    }

    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) return;
            Thread.sleep(100);
        }
        assertTrue(condition.getAsBoolean(), what);
    }
}
