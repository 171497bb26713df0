package io.basalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.Digests;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checker on hand-made histories: it must flag what breaks the rules and accept what they allow. */
class CheckerTest {

    private final History h = new History();
    private long clock = 0;

    private Op write(Op.Type type, String key, long seed, int size, Op.Outcome out) {
        String etag = out == Op.Outcome.OK && type == Op.Type.PUT ? Digests.md5Hex(Content.bytes(seed, size)) : null;
        Op op = new Op(
                h.nextId(), 0, type, key, ++clock, ++clock, out, seed, size, etag, null, 0, size, null, null, false);
        h.add(op);
        return op;
    }

    private void get(String key, long seed, int size, boolean fin) {
        byte[] b = Content.bytes(seed, size);
        h.add(new Op(
                h.nextId(),
                0,
                Op.Type.GET,
                key,
                ++clock,
                ++clock,
                Op.Outcome.OK,
                0,
                size,
                Digests.md5Hex(b),
                Content.sha256(b, 0, size),
                0,
                size,
                null,
                null,
                fin));
    }

    private void range(String key, long seed, int size, int from, int len) {
        byte[] b = Content.bytes(seed, size);
        h.add(new Op(
                h.nextId(),
                0,
                Op.Type.RANGE_GET,
                key,
                ++clock,
                ++clock,
                Op.Outcome.OK,
                0,
                len,
                Digests.md5Hex(b),
                Content.sha256(b, from, len),
                from,
                size,
                null,
                null,
                false));
    }

    private void miss(String key, boolean fin) {
        h.add(new Op(
                h.nextId(),
                0,
                Op.Type.GET,
                key,
                ++clock,
                ++clock,
                Op.Outcome.NOT_FOUND,
                0,
                0,
                null,
                null,
                0,
                0,
                null,
                "404",
                fin));
    }

    private void list(Map<String, Op.Listed> listed) {
        h.add(new Op(
                h.nextId(),
                0,
                Op.Type.LIST,
                null,
                ++clock,
                ++clock,
                Op.Outcome.OK,
                0,
                0,
                null,
                null,
                0,
                0,
                listed,
                null,
                false));
    }

    private List<String> check() {
        return new Checker(h).check();
    }

    @Test
    void acceptsReadsOfTheLatestAcknowledgedWrite() {
        write(Op.Type.PUT, "t0/k0", 1, 100, Op.Outcome.OK);
        get("t0/k0", 1, 100, false);
        range("t0/k0", 1, 100, 10, 20);
        write(Op.Type.PUT, "t0/k0", 2, 50, Op.Outcome.OK);
        get("t0/k0", 2, 50, false);
        list(Map.of("t0/k0", new Op.Listed(50, Digests.md5Hex(Content.bytes(2, 50)))));
        write(Op.Type.DELETE, "t0/k0", 0, 0, Op.Outcome.OK);
        miss("t0/k0", true);
        assertEquals(List.of(), check());
    }

    @Test
    void aFailedWriteMayOrMayNotBeVisible() {
        write(Op.Type.PUT, "t0/k0", 1, 100, Op.Outcome.OK);
        write(Op.Type.PUT, "t0/k0", 2, 100, Op.Outcome.FAIL);
        get("t0/k0", 2, 100, false);
        get("t0/k0", 1, 100, false);
        assertEquals(List.of(), check());
    }

    @Test
    void flagsAStaleReadAfterAnAcknowledgedOverwrite() {
        write(Op.Type.PUT, "t0/k0", 1, 100, Op.Outcome.OK);
        write(Op.Type.PUT, "t0/k0", 2, 100, Op.Outcome.OK);
        get("t0/k0", 1, 100, false);
        assertEquals(1, check().size());
    }

    @Test
    void flagsBytesNoClientWrote() {
        write(Op.Type.PUT, "t0/k0", 1, 100, Op.Outcome.OK);
        range("t0/k0", 99, 100, 0, 10);
        assertEquals(1, check().size());
    }

    @Test
    void flagsALostAcknowledgedWrite() {
        write(Op.Type.PUT, "t0/k0", 1, 100, Op.Outcome.OK);
        miss("t0/k0", true);
        List<String> v = check();
        assertEquals(1, v.size());
        assertTrue(v.get(0).contains("404"), v.get(0));
    }

    @Test
    void flagsAListThatDisagrees() {
        write(Op.Type.PUT, "t0/k0", 1, 100, Op.Outcome.OK);
        list(Map.of());
        list(Map.of("t0/k0", new Op.Listed(7, null)));
        assertEquals(2, check().size());
    }
}
