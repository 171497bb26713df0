package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Kubernetes objects of a manifest stream, looked up by kind and name, with the pod-level rules tests need. */
final class Manifests {

    final List<Map<String, Object>> objects = new ArrayList<>();

    private Manifests(String yaml) {
        for (Object doc : Yaml.parseAll(yaml)) objects.add(map(doc, "document"));
    }

    static Manifests parse(String yaml) {
        return new Manifests(yaml);
    }

    /** The files a kustomization lists under resources (files only: the base has no nested bases), as one stream. */
    static String kustomizationText(Path dir) {
        Map<String, Object> k =
                map(Yaml.parseAll(read(dir.resolve("kustomization.yaml"))).getFirst(), "kustomization");
        StringBuilder all = new StringBuilder();
        for (Object r : list(k, "resources"))
            all.append(read(dir.resolve((String) r))).append("\n---\n");
        return all.toString();
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Map<String, Object> get(String kind, String name) {
        return objects.stream()
                .filter(o -> kind.equals(o.get("kind")) && name.equals(str(map(o, "metadata"), "name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in the manifests"));
    }

    List<Map<String, Object>> all(String kind) {
        return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    }

    /** One container of a workload's pod template, with the values the downward API would give its pod. */
    Container container(String kind, String name, String containerName, Map<String, String> fieldValues) {
        Map<String, Object> template = map(map(get(kind, name), "spec"), "template");
        for (Object c : list(map(template, "spec"), "containers")) {
            if (containerName.equals(str(map(c, "container"), "name"))) {
                return new Container(this, template, map(c, "container"), fieldValues);
            }
        }
        throw new AssertionError(kind + " " + name + " has no container " + containerName);
    }

    /** A container as the kubelet would start it: environment resolved, $(VAR) references expanded. */
    record Container(
            Manifests m, Map<String, Object> template, Map<String, Object> spec, Map<String, String> fieldValues) {

        private static final Pattern VAR = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            for (Object from : listOrEmpty(spec, "envFrom")) {
                String cm = str(map(map(from, "envFrom"), "configMapRef"), "name");
                map(m.get("ConfigMap", cm), "data").forEach((k, v) -> env.put(k, (String) v));
            }
            for (Object o : listOrEmpty(spec, "env")) {
                Map<String, Object> e = map(o, "env");
                String name = str(e, "name");
                if (e.get("value") != null) {
                    env.put(name, expand((String) e.get("value"), env));
                    continue;
                }
                Map<String, Object> from = map(e, "valueFrom");
                if (from.containsKey("fieldRef")) {
                    String path = str(map(from, "fieldRef"), "fieldPath");
                    String v = fieldValues.get(path);
                    if (v == null) fail(name + ": no test value for the downward API field " + path);
                    env.put(name, v);
                } else if (from.containsKey("secretKeyRef")) {
                    Map<String, Object> ref = map(from, "secretKeyRef");
                    env.put(name, m.secretValue(str(ref, "name"), str(ref, "key")));
                } else {
                    fail(name + ": unsupported valueFrom " + from.keySet());
                }
            }
            return env;
        }

        /** args with every $(VAR) replaced; a reference to a variable the container lacks fails. */
        List<String> args() {
            Map<String, String> env = env();
            List<String> out = new ArrayList<>();
            for (Object a : list(spec, "args")) {
                String v = expand((String) a, env);
                assertTrue(
                        !VAR.matcher(v).find(),
                        "unresolved variable in arg " + a + " (Kubernetes would pass it literally)");
                out.add(v);
            }
            return out;
        }

        private static String expand(String s, Map<String, String> env) {
            Matcher mt = VAR.matcher(s);
            StringBuilder b = new StringBuilder();
            while (mt.find()) {
                String v = env.get(mt.group(1));
                mt.appendReplacement(b, Matcher.quoteReplacement(v != null ? v : mt.group()));
            }
            return mt.appendTail(b).toString();
        }

        /** The containerPort of a port name (or a number as text). */
        int port(String nameOrNumber) {
            if (nameOrNumber.matches("[0-9]+")) return Integer.parseInt(nameOrNumber);
            for (Object p : list(spec, "ports")) {
                if (nameOrNumber.equals(str(map(p, "port"), "name")))
                    return Integer.parseInt(str(map(p, "port"), "containerPort"));
            }
            throw new AssertionError("container " + spec.get("name") + " has no port named " + nameOrNumber);
        }

        /** The container port an HTTP probe hits, after checking its path. */
        int probePort(String probe, String path) {
            Map<String, Object> get = map(map(spec, probe), "httpGet");
            assertEquals(path, str(get, "path"), probe + " path of " + spec.get("name"));
            return port(str(get, "port"));
        }

        Map<String, String> annotations() {
            Map<String, String> out = new LinkedHashMap<>();
            Object a = map(template, "metadata").get("annotations");
            if (a != null) map(a, "annotations").forEach((k, v) -> out.put(k, (String) v));
            return out;
        }

        Map<String, Object> podLabels() {
            return map(map(template, "metadata"), "labels");
        }

        /** Where each volume is mounted, by volume name. */
        Map<String, String> mounts() {
            Map<String, String> out = new LinkedHashMap<>();
            for (Object v : listOrEmpty(spec, "volumeMounts"))
                out.put(str(map(v, "mount"), "name"), str(map(v, "mount"), "mountPath"));
            return out;
        }
    }

    String secretValue(String secret, String key) {
        Map<String, Object> s = get("Secret", secret);
        if (s.get("stringData") != null && map(s, "stringData").get(key) != null)
            return (String) map(s, "stringData").get(key);
        if (s.get("data") != null && map(s, "data").get(key) != null) {
            return new String(Base64.getDecoder().decode((String) map(s, "data").get(key)), StandardCharsets.UTF_8);
        }
        throw new AssertionError("Secret " + secret + " has no key " + key);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o, String what) {
        assertTrue(o instanceof Map, what + " is not a mapping: " + o);
        return (Map<String, Object>) o;
    }

    static Map<String, Object> map(Map<String, Object> parent, String key) {
        return map(parent.get(key), key);
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> parent, String key) {
        Object o = parent.get(key);
        assertTrue(o instanceof List, key + " is not a list: " + o);
        return (List<Object>) o;
    }

    static List<Object> listOrEmpty(Map<String, Object> parent, String key) {
        return parent.get(key) == null ? List.of() : list(parent, key);
    }

    static String str(Map<String, Object> parent, String key) {
        Object o = parent.get(key);
        assertNotNull(o, "missing " + key + " in " + parent.keySet());
        assertTrue(o instanceof String, key + " is not a scalar: " + o);
        return (String) o;
    }
}
