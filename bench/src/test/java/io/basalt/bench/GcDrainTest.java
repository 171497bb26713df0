package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class GcDrainTest {
    @Test
    void readsTheQueueLengthFromTheCoordinatorsMetrics() {
        String exposition = """
                # HELP basalt_heal_queue_length Records in etcd's heal/ queue.
                # TYPE basalt_heal_queue_length gauge
                basalt_heal_queue_length 7
                # HELP basalt_gc_queue_length Records in etcd's gc/ queue.
                # TYPE basalt_gc_queue_length gauge
                basalt_gc_queue_length 10000
                basalt_gc_shard_sets_collected_total 12
                """;
        assertEquals(10_000, GcDrain.parse(exposition));
        assertEquals(0, GcDrain.parse("basalt_gc_queue_length 0.0\n"));
        assertEquals(-1, GcDrain.parse("basalt_heal_queue_length 3\n"), "no gauge: not waited for");
        assertEquals(-1, GcDrain.parse("basalt_gc_queue_length NaN\n"), "etcd silent: not known, not empty");
    }
}
