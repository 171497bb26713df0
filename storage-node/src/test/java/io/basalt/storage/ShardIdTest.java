package io.basalt.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Shard ids become file names: {@link ShardId#validate} takes exactly the ids of the rule it was written as,
 * 1 to 160 of [A-Za-z0-9._-] not starting with a dot, and nothing that could leave its directory.
 */
class ShardIdTest {
    private static final Pattern RULE = Pattern.compile("[A-Za-z0-9._-]{1,160}");

    @Property(tries = 3000)
    void takesExactlyTheRulesIds(@ForAll("ids") String id) {
        boolean expected = RULE.matcher(id).matches() && !id.startsWith(".");
        assertEquals(expected, accepts(id), () -> "id '" + id + "'");
    }

    @Example
    void refusesWhatCouldEscapeOrIsEmpty() {
        for (String bad : new String[] {
            null, "", ".", "..", ".hidden", "a/b", "../x", "a\\b", "a b", "a\u0000b", "é", "x".repeat(161)
        }) {
            assertEquals(false, accepts(bad), () -> "id '" + bad + "'");
        }
        assertEquals(true, accepts("x".repeat(160)));
        assertEquals(true, accepts("obj-1.v2_shard-3"));
    }

    @Provide
    Arbitrary<String> ids() {
        // mostly legal characters, with the ones that must be refused mixed in, around the length limit too
        Arbitrary<Character> chars = Arbitraries.frequencyOf(
                Tuple.of(30, Arbitraries.chars().alpha().numeric().with('.', '_', '-')),
                Tuple.of(1, Arbitraries.chars().with('/', '\\', ' ', '\u0000', ':', 'é', '*', '\n')));
        return chars.list().ofMinSize(0).ofMaxSize(170).map(ShardIdTest::join);
    }

    private static String join(List<Character> cs) {
        StringBuilder b = new StringBuilder(cs.size());
        cs.forEach(b::append);
        return b.toString();
    }

    private static boolean accepts(String id) {
        try {
            ShardId.validate(id);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
