package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcStatTest {
    @Test
    void parsesUserSystemAndStartTimeAfterTheLastParenthesis() {
        // a thread whose comm holds a space and a parenthesis, as "XNIO-1 I/O-1" or a hostile name could
        String line = "4242 (a) b (c) S 1 4242 4242 0 -1 4194368 1000 0 0 0 1234 567 0 0 20 0 40 0 98765 "
                + "3000000000 50000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        ProcStat s = ProcStat.parse(line);
        assertEquals("a) b (c", s.comm());
        assertEquals(1234, s.utimeTicks());
        assertEquals(567, s.stimeTicks());
        assertEquals(98765, s.startTicks());
        assertEquals(12.34, s.userSeconds(), 1e-9);
        assertEquals(5.67, s.systemSeconds(), 1e-9);
    }

    @Test
    void takesRunsAndRunQueueWaitFromSchedstat() {
        ProcStat s = ProcStat.parse("7 (x) S 1 7 7 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 300 0 0 0")
                .withSchedstat("123456789 5000 42\n");
        assertEquals(42, s.runs());
        assertEquals(5000, s.waitNanos());
        assertEquals(10, s.utimeTicks());
        assertEquals(
                -1,
                ProcStat.parse("7 (x) S 1 7 7 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 300 0 0 0")
                        .runs());
    }

    @Test
    void rejectsALineWithoutComm() {
        assertThrows(IllegalArgumentException.class, () -> ProcStat.parse("4242 S 1 2 3"));
    }

    @Test
    void readsThisProcessAndItsThreads() {
        long pid = ProcessHandle.current().pid();
        ProcStat self = ProcStat.ofProcess(pid);
        Map<Long, ProcStat> threads = ProcStat.threads(pid);
        assertTrue(self.utimeTicks() > 0, "a JVM that ran tests has used CPU");
        assertTrue(threads.containsKey(pid), "the primordial thread's TID is the PID");
        assertTrue(threads.values().stream().anyMatch(t -> t.comm().equals("VM Thread")));
        assertTrue(threads.get(pid).runs() > 0, "the primordial thread has been on a CPU: " + threads.get(pid));
        long sum = threads.values().stream().mapToLong(ProcStat::utimeTicks).sum();
        assertTrue(sum <= ProcStat.ofProcess(pid).utimeTicks(), "the process total includes its threads");
    }

    @Test
    void aProcessThatIsGoneReadsNull() {
        assertNull(ProcStat.ofProcess(Integer.MAX_VALUE));
        assertTrue(ProcStat.threads(Integer.MAX_VALUE).isEmpty());
    }
}
