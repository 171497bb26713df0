package io.basalt.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HealWorkersTest {

    @Test
    void aBatchIsDoneOnlyWhenEveryHealSaysSo() {
        try (HealWorkers workers = new HealWorkers("heal-test")) {
            HealWorkers.Batch all = workers.batch(2);
            for (int i = 0; i < 5; i++) all.submit(() -> true);
            assertTrue(all.await());

            HealWorkers.Batch some = workers.batch(2);
            some.submit(() -> true);
            some.submit(() -> false);
            assertFalse(some.await());
        }
    }

    @Test
    void aHealThatFailsWithAnErrorLeavesTheBatchUndoneAndTheWorkersRunning() {
        try (HealWorkers workers = new HealWorkers("heal-test")) {
            AtomicInteger ran = new AtomicInteger();
            HealWorkers.Batch batch = workers.batch(1);
            batch.submit(() -> {
                throw new OutOfMemoryError("Cannot reserve 2097152 bytes of direct buffer memory (test)");
            });
            for (int i = 0; i < 3; i++) {
                batch.submit(() -> {
                    ran.incrementAndGet();
                    return true;
                });
            }
            assertFalse(batch.await(), "a heal that threw is not done");
            assertEquals(3, ran.get(), "the heals after it ran");
        }
    }
}
