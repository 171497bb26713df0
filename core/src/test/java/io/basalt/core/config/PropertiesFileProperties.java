package io.basalt.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** The strict reader against the file an operator means: what is written is what is read, nothing silently lost. */
class PropertiesFileProperties {

    @Provide
    Arbitrary<LinkedHashMap<String, String>> settings() {
        Arbitrary<String> key = Arbitraries.strings()
                .withChars("abz09.-_")
                .ofMinLength(1)
                .ofMaxLength(12)
                .filter(k -> Character.isLetterOrDigit(k.charAt(0)));
        // values as operators write them: paths, URLs, lists, spaces inside, '=' and '#' inside, non-ASCII
        Arbitrary<String> value = Arbitraries.strings()
                .withChars("aZ09 /:,.=#!-_é+")
                .ofMaxLength(20)
                .map(String::strip);
        return Combinators.combine(key, value)
                .as(Map::entry)
                .list()
                .ofMaxSize(12)
                .map(entries -> {
                    LinkedHashMap<String, String> m = new LinkedHashMap<>();
                    entries.forEach(e -> m.putIfAbsent(e.getKey(), e.getValue()));
                    return m;
                });
    }

    @Provide
    Arbitrary<String> padding() {
        return Arbitraries.of("", " ", "  ", "\t");
    }

    /** A file of the settings with comments, blank lines, padding and either line ending. */
    private static String render(Map<String, String> settings, String pad, boolean crlf) {
        StringBuilder text = new StringBuilder("# a host's config\n\n");
        int i = 0;
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (i++ % 3 == 0) text.append(pad).append("! a comment = with an equals sign\n");
            text.append(pad)
                    .append(e.getKey())
                    .append(pad)
                    .append('=')
                    .append(pad)
                    .append(e.getValue());
            text.append(crlf ? "\r\n" : "\n");
        }
        return text.toString();
    }

    @Property(tries = 300)
    void readsBackWhatWasWrittenInOrder(
            @ForAll("settings") LinkedHashMap<String, String> settings,
            @ForAll("padding") String pad,
            @ForAll boolean crlf) {
        Map<String, String> read = PropertiesFile.parse(render(settings, pad, crlf), "host.properties");
        assertEquals(new ArrayList<>(settings.entrySet()), new ArrayList<>(read.entrySet()));
    }

    @Property(tries = 300)
    void meansWhatJavaUtilPropertiesMeans(
            @ForAll("settings") LinkedHashMap<String, String> settings, @ForAll("padding") String pad)
            throws IOException {
        String text = render(settings, pad, false);
        Properties jdk = new Properties();
        jdk.load(new StringReader(text));
        Map<String, String> expected = new LinkedHashMap<>();
        jdk.stringPropertyNames()
                .forEach(k -> expected.put(k, jdk.getProperty(k).stripTrailing()));
        assertEquals(expected, Map.copyOf(PropertiesFile.parse(text, "host.properties")));
    }

    @Property(tries = 200)
    void aKeyGivenTwiceIsRefusedWithBothLines(
            @ForAll("settings") LinkedHashMap<String, String> settings, @ForAll @IntRange(min = 0, max = 20) int pick) {
        if (settings.isEmpty()) return;
        List<String> keys = new ArrayList<>(settings.keySet());
        String again = keys.get(pick % keys.size());
        List<String> lines = new ArrayList<>();
        settings.forEach((k, v) -> lines.add(k + "=" + v));
        lines.add(again + "=other");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> PropertiesFile.parse(String.join("\n", lines), "f"));
        int first = keys.indexOf(again) + 1;
        assertEquals(
                "f line " + lines.size() + ": " + again + " is set again (first on line " + first + ")",
                e.getMessage());
    }

    @Property(tries = 200)
    void aBadLineIsRefusedByNumberWithoutQuotingIt(
            @ForAll("settings") LinkedHashMap<String, String> settings,
            @ForAll @IntRange(min = 0, max = 20) int at,
            @ForAll("badLines") String bad) {
        List<String> lines = new ArrayList<>();
        settings.forEach((k, v) -> lines.add(k + "=" + v));
        int index = Math.min(at, lines.size());
        lines.add(index, bad);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> PropertiesFile.parse(String.join("\n", lines), "f"));
        assertTrue(e.getMessage().startsWith("f line " + (index + 1) + ": "), e.getMessage());
        assertFalse(
                e.getMessage().contains("s3cr3t"), "a line's text, maybe a secret, is never echoed: " + e.getMessage());
    }

    @Provide
    Arbitrary<String> badLines() {
        return Arbitraries.of(
                "secret-key s3cr3t", // no '='
                "s3cr3t",
                "=s3cr3t", // no key
                "key with space=s3cr3t",
                ".hidden=s3cr3t",
                "path=C:\\s3cr3t", // a backslash: an escape in java.util.Properties
                "key=s3cr3t\\"); // a continuation line
    }
}
