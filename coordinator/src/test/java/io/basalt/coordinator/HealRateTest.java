package io.basalt.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HealRateTest {

    @Test
    void healsAtOnceAreBoundedByDirectMemory() {
        assertEquals(8, HealRate.memoryBound(192L << 20));
        assertEquals(5, HealRate.memoryBound((128L << 20) - 1)); // -Xmx128m gives a little less
        assertEquals(1, HealRate.memoryBound(16L << 20)); // always at least one
        assertEquals(64, HealRate.memoryBound(64L << 30)); // and never past the setting's ceiling
    }

    @Test
    void thisJvmsBoundFollowsItsDirectMemory() {
        long direct = HealRate.maxDirectMemory();
        assertTrue(direct > 0);
        assertEquals(HealRate.memoryBound(direct), HealRate.MEMORY_BOUND);
    }
}
