package io.basalt.core.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NodeSuspicionTest {

    @Test
    void aFailureIsSuspectedAtOnceALateAnswerOnlyWhenItRepeats() {
        NodeSuspicion s = new NodeSuspicion(60_000);
        s.failed("a");
        assertTrue(s.suspect("a"));
        s.late("b");
        assertFalse(s.suspect("b"), "one late answer is jitter");
        s.late("b");
        assertTrue(s.suspect("b"), "two within seconds is a slow node");
        assertFalse(s.suspect("c"));
    }

    @Test
    void lateAnswersFarApartAreForgiven() throws Exception {
        NodeSuspicion s = new NodeSuspicion(60); // a late answer counts for 10 ms
        s.late("b");
        Thread.sleep(30);
        s.late("b");
        assertFalse(s.suspect("b"));
    }

    @Test
    void healthyNodesArePreferredWhileEnoughRemain() {
        NodeSuspicion s = new NodeSuspicion(60_000);
        s.failed("b");
        assertEquals(List.of("a", "c"), List.copyOf(s.preferHealthy(List.of("a", "b", "c"), n -> n, 2)));
        assertEquals(List.of("a", "b", "c"), List.copyOf(s.preferHealthy(List.of("a", "b", "c"), n -> n, 3)));
    }
}
