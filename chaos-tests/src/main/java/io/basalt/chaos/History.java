package io.basalt.chaos;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/** Every request of a run with its start, end and outcome, and every injected fault with its window. */
public final class History {

    public record Fault(String name, String detail, long start, long end) {}

    public final long t0 = System.nanoTime();
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();

    public long nextId() {
        return ids.incrementAndGet();
    }

    public void add(Op op) {
        ops.add(op);
    }

    public void fault(String name, String detail, long start, long end) {
        faults.add(new Fault(name, detail, start, end));
    }

    /** Ops in id order (per thread this is program order). */
    public List<Op> ops() {
        List<Op> l = new ArrayList<>(ops);
        l.sort(Comparator.comparingLong(Op::id));
        return l;
    }

    public List<Fault> faults() {
        return new ArrayList<>(faults);
    }

    /** A bad outcome a scenario saw itself (a fuzzed request's answer, say); reported with the checker's. */
    public void violation(String what) {
        violations.add(what);
    }

    public List<String> violations() {
        return new ArrayList<>(violations);
    }
}
