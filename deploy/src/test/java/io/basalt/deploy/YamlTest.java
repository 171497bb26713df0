package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class YamlTest {

    @Test
    void typedModeReadsPlainScalarsAsKubernetesDoesAndQuotedOnesAsText() {
        Map<?, ?> doc = (Map<?, ?>) Yaml.parseAllTyped("""
                replicas: 3
                port: "9000"
                ok: true
                ratio: 1.5
                mode: 0440
                command: [sleep, "5", 7]
                name: basalt
                """).getFirst();
        assertEquals(3L, doc.get("replicas"));
        assertEquals("9000", doc.get("port"));
        assertEquals(Boolean.TRUE, doc.get("ok"));
        assertEquals(1.5, doc.get("ratio"));
        assertEquals(440L, doc.get("mode"));
        assertEquals(java.util.List.of("sleep", "5", 7L), doc.get("command"));
        assertEquals("basalt", doc.get("name"));
        assertEquals("3", ((Map<?, ?>) Yaml.parseAll("replicas: 3").getFirst()).get("replicas"), "untyped: text");
    }

    @Test
    void readsKubernetesStyleDocuments() {
        String text = String.join(
                "\n",
                "# leading comment",
                "apiVersion: v1",
                "metadata:",
                "  annotations:",
                "    prometheus.io/port: \"9090\" # quoted number",
                "    'single': 'it''s'",
                "spec:",
                "  containers:",
                "  - name: a", // list at its key's indentation (kubectl's style)
                "    args:",
                "    - --listen",
                "    - 0.0.0.0:9000",
                "    - http://x#frag",
                "    resources: {}",
                "    ports: [grpc, \"metrics\"]",
                "  - name: b",
                "    script: |-",
                "      line one # not a comment",
                "",
                "      line three",
                "    folded:",
                "      - >-",
                "        a",
                "        b",
                "  empty:",
                "---",
                "---",
                "kind: Second",
                "creationTimestamp: null");
        List<Object> docs = Yaml.parseAll(text);
        assertEquals(2, docs.size());
        Map<String, Object> first = m(docs.get(0));
        assertEquals(
                Map.of("prometheus.io/port", "9090", "single", "it's"),
                m(m(first.get("metadata")).get("annotations")));
        List<?> containers = (List<?>) m(first.get("spec")).get("containers");
        assertEquals(
                List.of("--listen", "0.0.0.0:9000", "http://x#frag"),
                m(containers.get(0)).get("args"));
        assertEquals(Map.of(), m(containers.get(0)).get("resources"));
        assertEquals(List.of("grpc", "metrics"), m(containers.get(0)).get("ports"));
        assertEquals(
                "line one # not a comment\n\nline three", m(containers.get(1)).get("script"));
        assertEquals(List.of("a b"), m(containers.get(1)).get("folded"));
        assertEquals(null, m(first.get("spec")).get("empty"));
        Map<String, Object> second = new LinkedHashMap<>();
        second.put("kind", "Second");
        second.put("creationTimestamp", null);
        assertEquals(second, docs.get(1));
    }

    @Test
    void aPlainScalarGoesOnOverDeeperLines() {
        Map<String, Object> doc = m(Yaml.parseAll("a:\n  value: -XX:+One -XX:Two=64m\n    -Xmx128m\n  b: x\n")
                .get(0));
        assertEquals(Map.of("value", "-XX:+One -XX:Two=64m -Xmx128m", "b", "x"), doc.get("a"));
    }

    @Test
    void refusesWhatItDoesNotUnderstand() {
        for (String bad : List.of(
                "a: &anchor x",
                "a: {b: c}",
                "a: 1\n  b: 2",
                "a:\n\t- x",
                "a: 1\na: 2",
                "a: \"open",
                "- a\nb: c",
                "a: [x, [y]]")) {
            assertThrows(IllegalArgumentException.class, () -> Yaml.parseAll(bad), Arrays.toString(bad.split("\n")));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> m(Object o) {
        return (Map<String, Object>) o;
    }
}
