package io.basalt.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BodyMemoryTest {

    @Test
    void aWriteHoldsTwoStripesOfItsLayout() {
        assertEquals(2 * (256 << 10) * 6, BodyMemory.shareOf(-1, 1 << 20, 4, 2), "unknown length: full stripes");
        assertEquals(2 * (256 << 10) * 6, BodyMemory.shareOf(5L << 30, 1 << 20, 4, 2));
        assertEquals(2 * 1000 * 3, BodyMemory.shareOf(1000, 1 << 20, 1, 2), "a small body: its own size, as copies");
        assertEquals(2 * 3, BodyMemory.shareOf(0, 1 << 20, 1, 2), "an empty body still counts a byte");
    }

    @Test
    void reservationsWaitTheirTurnAndGiveBackOnClose() {
        BodyMemory budget = new BodyMemory(4 << 20, 50);
        BodyMemory.Reservation a = budget.reserve(3 << 20);
        assertEquals(3 << 20, budget.usedBytes());
        assertThrows(BodyMemory.Exhausted.class, () -> budget.reserve(2 << 20));
        assertEquals(3 << 20, budget.usedBytes(), "a refused reservation holds nothing");
        try (BodyMemory.Reservation b = budget.reserve(1 << 20)) {
            assertEquals(4 << 20, budget.usedBytes());
        }
        a.close();
        assertEquals(0, budget.usedBytes());
        try (BodyMemory.Reservation whole = budget.reserve(100L << 20)) {
            assertEquals(4 << 20, budget.usedBytes(), "more than the budget takes all of it, not forever");
        }
    }

    @Test
    void aShrunkReservationGivesBackTheRestAndClosingGivesBackWhatItKept() {
        BodyMemory budget = new BodyMemory(4 << 20, 50);
        BodyMemory.Reservation a = budget.reserve(3 << 20);
        a.shrinkTo(512 << 10);
        assertEquals(512 << 10, budget.usedBytes());
        a.shrinkTo(1 << 20); // never grows back
        assertEquals(512 << 10, budget.usedBytes());
        a.shrinkTo(1000);
        assertEquals(1 << 10, budget.usedBytes(), "rounded up to a KiB");
        a.close();
        a.close();
        assertEquals(0, budget.usedBytes());
        a.shrinkTo(0);
        assertEquals(0, budget.usedBytes(), "nothing given back twice");
        try (BodyMemory.Reservation whole = budget.reserve(4 << 20)) {
            assertEquals(4 << 20, budget.usedBytes());
        }
    }

    @Test
    void writesAnsweredAlreadyKeepHalfTheBudgetAtMost() {
        BodyMemory budget = new BodyMemory(4 << 20, 50);
        BodyMemory.Reservation first = budget.tryLinger(1536 << 10);
        assertNotNull(first);
        assertNull(budget.tryLinger(1 << 20), "past half the budget");
        BodyMemory.Reservation second = budget.tryLinger(512 << 10);
        assertNotNull(second, "up to half exactly");
        assertEquals(0, budget.usedBytes(), "a budget of its own");
        assertEquals(2 << 20, budget.lingeringBytes());
        try (BodyMemory.Reservation whole = budget.reserve(4 << 20)) {
            assertEquals(4 << 20, budget.usedBytes(), "writes whose clients wait still have the whole budget");
        }
        first.close();
        BodyMemory.Reservation third = budget.tryLinger(1 << 20);
        assertNotNull(third, "room again once a wait ended");
        second.close();
        third.close();
        assertEquals(0, budget.lingeringBytes());
        assertNull(budget.tryLinger(3 << 20), "never more than half");
    }
}
