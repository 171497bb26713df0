package io.basalt.chaos;

import io.basalt.testkit.Digests;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares what clients were told with what the cluster returned. Every key is owned by one client thread,
 * so its requests are totally ordered (program order). Walking a key's requests in that order, the values a
 * read may return are: the value of the last acknowledged write (or "absent" after an acknowledged DELETE or
 * before any write), plus the value of every write that failed after it (an error leaves a write either fully
 * visible or not at all). From this:
 * <ul>
 *   <li>a GET must return exactly the bytes of one candidate, with its ETag when that was acknowledged, and a
 *       404 only when "absent" is a candidate;</li>
 *   <li>a ranged GET must return the matching slice and total size of one candidate;</li>
 *   <li>a LIST must show each key present or absent, with size and ETag, as some candidate allows;</li>
 *   <li>after recovery, the final GET of every key must succeed unless "absent" is a candidate (an acknowledged
 *       write is never lost), and the final LIST of the bucket must agree with the final GETs.</li>
 * </ul>
 * Requests that failed are not violations (they count against availability).
 */
public final class Checker {

    record Value(boolean absent, long seed, int size, String etag, Op write) {
        static final Value ABSENT = new Value(true, 0, 0, null, null);

        String show() {
            return absent
                    ? (write == null ? "absent(never written)" : "absent(#" + write.id() + ")")
                    : "#" + write.id() + "(seed=" + seed + ",size=" + size + ")";
        }
    }

    private final History history;
    private final Map<Long, byte[]> contentCache = new HashMap<>();
    private final List<String> violations = new ArrayList<>();

    public Checker(History history) {
        this.history = history;
    }

    private byte[] content(Value v) {
        if (contentCache.size() > 64) contentCache.clear();
        return contentCache.computeIfAbsent(v.seed() * 31 + v.size(), x -> Content.bytes(v.seed(), v.size()));
    }

    /** @return human-readable violations, each with the key's request history */
    public List<String> check() {
        List<Op> ops = history.ops();
        Map<String, List<Op>> byKey = new LinkedHashMap<>();
        Map<Integer, List<Op>> lists = new HashMap<>();
        for (Op op : ops) {
            if (op.type() == Op.Type.LIST)
                lists.computeIfAbsent(op.thread(), t -> new ArrayList<>()).add(op);
            else byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        // candidate sets per key at each op id, for LIST checks
        Map<String, Candidates> states = new HashMap<>();
        Map<String, Op> finalGets = new HashMap<>();
        // walk all ops in id order (per-thread program order), keeping a state per key
        for (Op op : ops) {
            if (op.type() == Op.Type.LIST) {
                checkList(op, states, finalGets);
                continue;
            }
            Candidates c = states.computeIfAbsent(op.key(), k -> new Candidates());
            switch (op.type()) {
                case PUT, MPU, DELETE -> {
                    Value v = op.type() == Op.Type.DELETE
                            ? new Value(true, 0, 0, null, op)
                            : new Value(
                                    false, op.seed(), op.size(), op.outcome() == Op.Outcome.OK ? op.etag() : null, op);
                    if (op.outcome() == Op.Outcome.OK) {
                        if (op.type() == Op.Type.PUT && !Objects.equals(op.etag(), Digests.md5Hex(content(v)))) {
                            violation(
                                    op,
                                    byKey,
                                    "PUT acknowledged with ETag " + op.etag() + " but the MD5 of the body is "
                                            + Digests.md5Hex(content(v)));
                        }
                        c.acked = v;
                        c.pending.clear();
                    } else {
                        c.pending.add(v);
                    }
                }
                case GET, RANGE_GET -> {
                    checkRead(op, c, byKey);
                    if (op.fin()) finalGets.put(op.key(), op);
                }
                default -> {}
            }
        }
        return violations;
    }

    private static final class Candidates {
        Value acked = Value.ABSENT;
        final List<Value> pending = new ArrayList<>();

        List<Value> all() {
            List<Value> l = new ArrayList<>(pending.size() + 1);
            l.add(acked);
            l.addAll(pending);
            return l;
        }

        String show() {
            StringBuilder sb = new StringBuilder("{acked " + acked.show());
            for (Value v : pending) sb.append(", failed-write ").append(v.show());
            return sb.append('}').toString();
        }
    }

    private void checkRead(Op op, Candidates c, Map<String, List<Op>> byKey) {
        switch (op.outcome()) {
            case FAIL -> {
                if (op.fin() && !c.acked.absent()) {
                    violation(
                            op,
                            byKey,
                            "acknowledged write " + c.acked.show() + " is unreadable after recovery: " + op.error());
                }
            }
            case NOT_FOUND -> {
                if (c.all().stream().noneMatch(Value::absent)) {
                    violation(op, byKey, "404 but the key must exist: candidates " + c.show());
                }
            }
            case BAD_RANGE -> {
                boolean ok = c.all().stream().anyMatch(v -> !v.absent() && v.size() <= op.rangeStart());
                if (!ok) violation(op, byKey, "416 for a range inside every candidate " + c.show());
            }
            case OK -> {
                if (op.error() != null) {
                    violation(op, byKey, op.error());
                    return;
                }
                for (Value v : c.all()) {
                    if (v.absent()) continue;
                    if (matches(op, v)) {
                        if (v.etag() != null && !v.etag().equals(op.etag())) {
                            violation(
                                    op,
                                    byKey,
                                    "bytes of " + v.show() + " but ETag " + op.etag() + " instead of " + v.etag());
                        }
                        return;
                    }
                }
                violation(op, byKey, "returned bytes no candidate holds (" + c.show() + ")");
            }
        }
    }

    private boolean matches(Op read, Value v) {
        if (read.total() != v.size()) return false;
        byte[] b = content(v);
        long from = read.rangeStart();
        if (from < 0 || from + read.size() > b.length) return false;
        if (read.type() == Op.Type.RANGE_GET && read.size() == 0 && v.size() > 0) return false;
        return Content.sha256(b, (int) from, read.size()).equals(read.hash());
    }

    private void checkList(Op op, Map<String, Candidates> states, Map<String, Op> finalGets) {
        if (op.outcome() != Op.Outcome.OK) return;
        Set<String> keys = new TreeSet<>(op.listed().keySet());
        String prefix = op.thread() < 0 ? "" : "t" + op.thread() + "/";
        for (String k : states.keySet()) if (k.startsWith(prefix)) keys.add(k);
        for (String k : keys) {
            Op.Listed l = op.listed().get(k);
            Candidates c = states.get(k);
            if (c == null) {
                violation(op, Map.of(), "LIST shows " + k + " that no client ever wrote");
                continue;
            }
            if (op.fin()) {
                Op g = finalGets.get(k);
                if (g != null
                        && g.outcome() == Op.Outcome.OK
                        && (l == null || l.size() != g.size() || !Objects.equals(l.etag(), g.etag()))) {
                    violation(
                            op,
                            Map.of(),
                            "final LIST disagrees with final GET of " + k + ": listed " + l + ", GET size " + g.size()
                                    + " etag " + g.etag());
                } else if (g != null && g.outcome() == Op.Outcome.NOT_FOUND && l != null) {
                    violation(op, Map.of(), "final LIST shows " + k + " " + l + " but GET says 404");
                }
                continue;
            }
            boolean ok = c.all().stream()
                    .anyMatch(v -> v.absent()
                            ? l == null
                            : l != null
                                    && l.size() == v.size()
                                    && (v.etag() == null || v.etag().equals(l.etag())));
            if (!ok) violation(op, Map.of(), "LIST shows " + k + " as " + l + ", no candidate allows it: " + c.show());
        }
    }

    private void violation(Op op, Map<String, List<Op>> byKey, String what) {
        StringBuilder sb = new StringBuilder();
        sb.append(what).append("\n    at ").append(op.describe(history.t0));
        List<Op> keyOps = op.key() == null ? null : byKey.get(op.key());
        if (keyOps != null) {
            sb.append("\n    history of ").append(op.key()).append(" (last 12 requests up to it):");
            List<Op> upTo = keyOps.stream().filter(o -> o.id() <= op.id()).toList();
            for (Op o : upTo.subList(Math.max(0, upTo.size() - 12), upTo.size())) {
                sb.append("\n      ").append(o.describe(history.t0));
            }
        }
        violations.add(sb.toString());
    }
}
