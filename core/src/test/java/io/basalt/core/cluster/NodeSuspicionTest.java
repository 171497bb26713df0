package io.basalt.core.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeSuspicionTest {

    private long now = 1_000_000;

    @Test
    void aFailureIsSuspectedAtOnceLateAnswersOnlyInAStreakThatLasts() {
        NodeSuspicion s = new NodeSuspicion(60_000, () -> now);
        s.failed("a");
        assertTrue(s.suspect("a"));
        s.late("b");
        s.late("b");
        assertFalse(s.suspect("b"), "late answers are a loaded node's tail");
        s.late("b");
        assertFalse(s.suspect("b"), "three at once are one hiccup seen by three requests in flight");
        now += 600;
        s.late("b");
        assertTrue(s.suspect("b"), "late for over half a second, none in time between: a stuck node");
        assertFalse(s.suspect("c"));
        now += NodeSuspicion.LATE_HOLD_MS;
        assertFalse(s.suspect("b"), "a late node is avoided for a shorter while than a failed one");
        assertTrue(s.suspect("a"));
    }

    @Test
    void aSuspicionIsToldOnceWhileItLastsWithItsReason() {
        NodeSuspicion s = new NodeSuspicion(60_000, () -> now);
        List<String> told = new ArrayList<>();
        s.onSuspected((node, reason, hold) -> told.add(node + ": " + reason + " for " + hold + " ms"));
        for (int i = 0; i < 5; i++) s.failed("a"); // a down node fails every request that tries it
        for (int i = 0; i < 6; i++) {
            s.late("b");
            now += 100;
        }
        assertEquals(
                List.of(
                        "a: a request to it failed for 60000 ms",
                        "b: 3+ late answers in a row over 500 ms for 10000 ms"),
                told);
        assertEquals(2, s.suspectedCount());
        now += 31_000; // past half the failure's hold: a node still failing is told again
        s.failed("a");
        assertEquals(3, told.size());
    }

    @Test
    void readsGoAroundANodeForASecondAfterItsLastLateAnswerWritesOnlyOnceSuspected() {
        NodeSuspicion s = new NodeSuspicion(60_000, () -> now);
        s.late("b");
        assertTrue(s.avoidForReads("b"), "one late answer: reads decode around it");
        assertFalse(s.suspect("b"), "writes still use it");
        now += NodeSuspicion.READ_AVOID_MS;
        assertFalse(s.avoidForReads("b"));
        s.late("b");
        s.onTime("b");
        assertFalse(s.avoidForReads("b"), "an answer in time clears it at once");
        s.failed("c");
        assertTrue(s.avoidForReads("c"));
    }

    @Test
    void anAnswerInTimeEndsTheStreak() {
        NodeSuspicion s = new NodeSuspicion(60_000, () -> now);
        for (int i = 0; i < 10; i++) {
            s.late("b");
            now += 400;
            s.late("b");
            s.onTime("b");
        }
        assertFalse(s.suspect("b"));
    }

    @Test
    void healthyNodesArePreferredWhileASpareBeyondTheQuorumRemains() {
        NodeSuspicion s = new NodeSuspicion(60_000);
        s.failed("b");
        List<String> nodes = List.of("a", "b", "c", "d");
        assertEquals(List.of("a", "c", "d"), List.copyOf(s.preferHealthy(nodes, n -> n, 2, 4)));
        assertEquals(List.of("a", "c", "d"), List.copyOf(s.preferHealthy(nodes, n -> n, 2, 3)), "all wanted");
        // healthy ones exactly the quorum: the suspect comes back as the spare
        assertEquals(List.of("a", "c", "d", "b"), List.copyOf(s.preferHealthy(nodes, n -> n, 3, 4)));
    }

    @Test
    void tooFewHealthyTakesSuspectsBackUpToTheFullWidthThoseEndingSoonestFirst() throws Exception {
        NodeSuspicion s = new NodeSuspicion(60_000);
        s.failed("stuck");
        Thread.sleep(5);
        s.failed("jitter");
        Thread.sleep(5);
        s.failed("stuck"); // a stuck node keeps renewing its suspicion
        s.failed("other");
        List<String> all = List.of("a", "stuck", "b", "jitter", "c", "other");
        // 3 healthy, 4 needed: suspects come back up to the width wanted, soonest to clear first
        assertEquals(List.of("a", "b", "c", "jitter"), List.copyOf(s.preferHealthy(all, n -> n, 4, 4)));
        assertEquals(List.of("a", "b", "c", "jitter", "stuck"), List.copyOf(s.preferHealthy(all, n -> n, 4, 5)));
        assertEquals(6, s.preferHealthy(all, n -> n, 4, 9).size(), "never more than there are");
        assertEquals(List.of("a", "b", "c"), List.copyOf(s.preferHealthy(all, n -> n, 2, 6)), "a spare is left");
        assertEquals(
                List.of("a", "b", "c", "jitter", "stuck", "other"), List.copyOf(s.preferHealthy(all, n -> n, 3, 6)));
    }
}
