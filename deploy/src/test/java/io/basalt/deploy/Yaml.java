package io.basalt.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the YAML that Kubernetes manifests are written in: block mappings and sequences, plain and quoted
 * scalars (plain ones also over several lines, as kubectl folds a long value), literal and folded block scalars,
 * empty and flow collections of scalars, comments and
 * multi-document streams. Values come back as Map (in file order), List, String or null. Anything outside
 * this subset (anchors, tags, tabs) is an error, never a guess, so a manifest the
 * reader does not understand fails the test instead of passing unchecked. (No YAML library is on the
 * project's classpath, and one is not worth a dependency for this.)
 */
final class Yaml {

    /** One line: its indentation and its text without indentation and comment ("" for blank/comment lines). */
    private record Line(int number, int indent, String text, String raw) {}

    private final List<Line> lines = new ArrayList<>();
    private final boolean typed;
    private int pos;

    private Yaml(List<String> raw, int firstNumber, boolean typed) {
        this.typed = typed;
        for (int i = 0; i < raw.size(); i++) {
            String r = raw.get(i);
            int indent = 0;
            while (indent < r.length() && r.charAt(indent) == ' ') indent++;
            if (indent < r.length() && r.charAt(indent) == '\t')
                throw new IllegalArgumentException("tab in line " + (firstNumber + i));
            lines.add(new Line(
                    firstNumber + i, indent, stripComment(r.substring(indent)).strip(), r));
        }
    }

    /** Every document of a stream (documents separated by "---" lines), empty ones left out. */
    static List<Object> parseAll(String text) {
        return parseAll(text, false);
    }

    /**
     * As {@link #parseAll(String)}, with plain scalars typed as YAML's core schema types them (what
     * Kubernetes reads): integers as Long, floats as Double, true/false as Boolean; quoted ones stay
     * text. For checks against schemas that tell {@code replicas: 3} from {@code replicas: "3"}.
     */
    static List<Object> parseAllTyped(String text) {
        return parseAll(text, true);
    }

    private static List<Object> parseAll(String text, boolean typed) {
        List<Object> docs = new ArrayList<>();
        List<String> current = new ArrayList<>();
        int first = 1;
        String[] raw = text.split("\n", -1);
        for (int i = 0; i <= raw.length; i++) {
            if (i == raw.length || raw[i].strip().equals("---")) {
                Object doc = new Yaml(current, first, typed).document();
                if (doc != null) docs.add(doc);
                current = new ArrayList<>();
                first = i + 2;
            } else {
                current.add(raw[i].replace("\r", ""));
            }
        }
        return docs;
    }

    private Object document() {
        Line l = current();
        if (l == null) return null;
        if (l.indent != 0) throw error(l, "a document starts at column 0");
        Object v = node();
        if (current() != null) throw error(current(), "unexpected content");
        return v;
    }

    private Line current() {
        while (pos < lines.size() && lines.get(pos).text.isEmpty()) pos++;
        return pos < lines.size() ? lines.get(pos) : null;
    }

    private Object node() {
        Line l = current();
        if (isSeqItem(l.text)) return sequence(l.indent);
        if (keyEnd(l.text) >= 0) return mapping(l.indent);
        pos++;
        return scalar(l, l.text);
    }

    private List<Object> sequence(int indent) {
        List<Object> out = new ArrayList<>();
        Line l;
        while ((l = current()) != null && l.indent == indent && isSeqItem(l.text)) {
            String rest = l.text.substring(1).stripLeading();
            if (rest.isEmpty()) {
                pos++;
                Line next = current();
                out.add(next != null && next.indent > indent ? node() : null);
            } else if (rest.startsWith("|") || rest.startsWith(">")) {
                pos++;
                out.add(block(indent, rest, l));
            } else {
                // "- key: value" or "- scalar": the item's content as a line of its own at its column
                lines.set(pos, new Line(l.number, indent + l.text.length() - rest.length(), rest, l.raw));
                out.add(node());
            }
        }
        if (l != null && l.indent > indent) throw error(l, "bad indentation in a sequence");
        return out;
    }

    private Map<String, Object> mapping(int indent) {
        Map<String, Object> out = new LinkedHashMap<>();
        Line l;
        while ((l = current()) != null && l.indent == indent && !isSeqItem(l.text)) {
            int end = keyEnd(l.text);
            if (end < 0) throw error(l, "expected key: value");
            String key = unquote(l, l.text.substring(0, end).strip());
            String value = l.text.substring(end + 1).strip();
            pos++;
            Object v;
            if (value.isEmpty()) {
                Line next = current();
                if (next != null && next.indent > indent) {
                    v = node();
                } else if (next != null && next.indent == indent && isSeqItem(next.text)) {
                    v = sequence(indent); // Kubernetes style: the list at the key's own indentation
                } else {
                    v = null;
                }
            } else if (value.startsWith("|") || value.startsWith(">")) {
                v = block(indent, value, l);
            } else {
                v = scalar(l, foldPlain(indent, value));
            }
            if (out.containsKey(key)) throw error(l, "duplicate key " + key);
            out.put(key, v);
        }
        if (l != null && l.indent > indent) throw error(l, "bad indentation in a mapping");
        return out;
    }

    /**
     * A plain scalar with the lines that continue it, joined by spaces: lines indented deeper than its key, as kubectl
     * folds a long value. A deeper line that reads as a key, an item or a comment is not a continuation (and then
     * fails as bad indentation).
     */
    private String foldPlain(int keyIndent, String value) {
        if (value.startsWith("\"") || value.startsWith("'") || value.startsWith("[") || value.startsWith("{"))
            return value;
        StringBuilder folded = new StringBuilder(value);
        Line next;
        while ((next = current()) != null && next.indent > keyIndent && continuesPlain(next.text)) {
            folded.append(' ').append(next.text.strip());
            pos++;
        }
        return folded.toString();
    }

    private static boolean continuesPlain(String text) {
        return !text.isEmpty()
                && !text.contains(": ")
                && !text.endsWith(":")
                && !isSeqItem(text)
                && !text.startsWith("#");
    }

    /** A block scalar (| or >, optionally with -), its lines indented deeper than {@code parentIndent}. */
    private String block(int parentIndent, String header, Line at) {
        if (!header.matches("[|>]-?")) throw error(at, "unsupported block scalar header " + header);
        List<String> body = new ArrayList<>();
        int indent = -1;
        while (pos < lines.size()) {
            Line l = lines.get(pos);
            boolean blank = l.raw.isBlank();
            if (!blank && l.indent <= parentIndent) break;
            if (!blank && indent < 0) indent = l.indent;
            body.add(blank ? "" : l.raw.substring(Math.min(indent, l.indent)));
            pos++;
        }
        while (!body.isEmpty() && body.get(body.size() - 1).isEmpty()) body.remove(body.size() - 1);
        String text = header.startsWith("|")
                ? String.join("\n", body)
                : String.join("\n", body).replaceAll("(?<!\n)\n(?!\n)", " ").replace("\n\n", "\n");
        return header.endsWith("-") ? text : text + "\n";
    }

    private Object scalar(Line at, String s) {
        if (s.equals("[]")) return new ArrayList<>();
        if (s.equals("{}")) return new LinkedHashMap<>();
        if (s.startsWith("[")) {
            if (!s.endsWith("]") || s.indexOf('[', 1) >= 0 || s.contains("{"))
                throw error(at, "unsupported flow sequence " + s);
            List<Object> out = new ArrayList<>();
            for (String item : s.substring(1, s.length() - 1).split(",")) out.add(plain(at, item.strip()));
            return out;
        }
        if (s.startsWith("{") || s.startsWith("&") || s.startsWith("*") || s.startsWith("!")) {
            throw error(at, "unsupported YAML: " + s);
        }
        if (s.equals("null") || s.equals("~")) return null;
        return plain(at, s);
    }

    /** A scalar as text, or in typed mode a plain one as its core-schema type. */
    private Object plain(Line at, String s) {
        if (!typed || s.startsWith("'") || s.startsWith("\"")) return unquote(at, s);
        if (s.equals("true") || s.equals("false")) return Boolean.parseBoolean(s);
        if (s.matches("[-+]?[0-9]+")) return Long.parseLong(s);
        if (s.matches("[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?")) return Double.parseDouble(s);
        return s;
    }

    private String unquote(Line at, String s) {
        if (s.startsWith("'")) {
            if (s.length() < 2 || !s.endsWith("'")) throw error(at, "unterminated quote");
            return s.substring(1, s.length() - 1).replace("''", "'");
        }
        if (s.startsWith("\"")) {
            if (s.length() < 2 || !s.endsWith("\"")) throw error(at, "unterminated quote");
            StringBuilder b = new StringBuilder();
            for (int i = 1; i < s.length() - 1; i++) {
                char c = s.charAt(i);
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = s.charAt(++i);
                b.append(
                        switch (e) {
                            case 'n' -> '\n';
                            case 't' -> '\t';
                            case '"', '\\', '/' -> e;
                            default -> throw error(at, "unsupported escape \\" + e);
                        });
            }
            return b.toString();
        }
        return s;
    }

    private static boolean isSeqItem(String text) {
        return text.equals("-") || text.startsWith("- ");
    }

    /** Index of the colon ending a mapping key (followed by a space or the end), or -1. */
    private static int keyEnd(String text) {
        if (text.startsWith("\"") || text.startsWith("'")) {
            int close = text.indexOf(text.charAt(0), 1);
            return close > 0
                            && text.startsWith(":", close + 1)
                            && (close + 2 == text.length() || text.charAt(close + 2) == ' ')
                    ? close + 1
                    : -1;
        }
        if (text.startsWith("[") || text.startsWith("{")) return -1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == ':' && (i + 1 == text.length() || text.charAt(i + 1) == ' ')) return i;
        }
        return -1;
    }

    /** The line without a trailing comment: a # at the start or after a space, outside quotes. */
    private static String stripComment(String s) {
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'') {
                if (i == 0 || " [:,-".indexOf(s.charAt(i - 1)) >= 0) quote = c;
            } else if (c == '#' && (i == 0 || s.charAt(i - 1) == ' ')) {
                return s.substring(0, i);
            }
        }
        return s;
    }

    private static IllegalArgumentException error(Line l, String message) {
        return new IllegalArgumentException("YAML line " + l.number + ": " + message + ": " + l.raw.strip());
    }
}
