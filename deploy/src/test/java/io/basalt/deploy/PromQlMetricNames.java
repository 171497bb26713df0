package io.basalt.deploy;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The metric names a PromQL expression selects, found by a small tokenizer rather than a full parser:
 * every identifier that is not a function or aggregation (those are followed by a parenthesis), not a
 * keyword, not a label name (inside {@code {...}}, or the list after by/without/on/ignoring/group_left/
 * group_right), not inside a string, a range or subquery {@code [...]}, a number, a duration or a
 * Grafana {@code $variable}. Selectors written as {@code {__name__="x"}} are not understood (and the
 * dashboard does not use them).
 */
final class PromQlMetricNames {

    /** Keywords that take a parenthesized list of label names. */
    private static final Set<String> LABEL_LISTS =
            Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

    /** Keywords and literals that are neither functions nor metrics. */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan");

    private PromQlMetricNames() {}

    static Set<String> of(String expr) {
        Set<String> names = new TreeSet<>();
        int i = 0;
        int n = expr.length();
        while (i < n) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(expr, i);
            } else if (c == '{') {
                i = skipBlock(expr, i, '{', '}');
            } else if (c == '[') {
                i = skipBlock(expr, i, '[', ']');
            } else if (c == '#') {
                while (i < n && expr.charAt(i) != '\n') i++;
            } else if (c == '$') {
                i = skipVariable(expr, i);
            } else if (Character.isDigit(c) || c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1))) {
                // numbers, 1e-3, 0x1f and durations such as 5m or 1h30m: digits, letters and dots together
                while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.')) i++;
                // the exponent's sign of 1e-3
                if (i < n && (expr.charAt(i) == '-' || expr.charAt(i) == '+') && (expr.charAt(i - 1) | 0x20) == 'e') {
                    i++;
                    while (i < n && Character.isDigit(expr.charAt(i))) i++;
                }
            } else if (isIdentifierStart(c)) {
                int start = i;
                while (i < n && isIdentifierPart(expr.charAt(i))) i++;
                String word = expr.substring(start, i);
                int next = skipSpace(expr, i);
                // a function or aggregation: f(...), or sum by (l) (...) with its grouping first
                boolean call = next < n && expr.charAt(next) == '(' || groupingFollows(expr, next);
                String lower = word.toLowerCase(Locale.ROOT);
                if (LABEL_LISTS.contains(lower)) {
                    // group_left and group_right may stand without a list
                    if (call) i = skipBlock(expr, next, '(', ')');
                } else if (!call && !KEYWORDS.contains(lower)) {
                    names.add(word);
                }
            } else {
                i++;
            }
        }
        return names;
    }

    private static boolean groupingFollows(String s, int i) {
        int end = i;
        while (end < s.length() && isIdentifierPart(s.charAt(end))) end++;
        String word = s.substring(i, end).toLowerCase(Locale.ROOT);
        int next = skipSpace(s, end);
        return (word.equals("by") || word.equals("without")) && next < s.length() && s.charAt(next) == '(';
    }

    private static boolean isIdentifierStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':';
    }

    private static boolean isIdentifierPart(char c) {
        return isIdentifierStart(c) || c >= '0' && c <= '9';
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    /** Past the closing quote; a backslash escapes the next character except in backquoted raw strings. */
    private static int skipString(String s, int i) {
        char quote = s.charAt(i++);
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c == '\\' && quote != '`') i++;
            else if (c == quote) return i;
        }
        throw new IllegalArgumentException("unterminated string in: " + s);
    }

    /** Past the bracket matching the one at {@code i}, stepping over strings inside. */
    private static int skipBlock(String s, int i, char open, char close) {
        int depth = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(s, i);
                continue;
            }
            if (c == open) depth++;
            else if (c == close && --depth == 0) return i + 1;
            i++;
        }
        throw new IllegalArgumentException("unbalanced " + open + " in: " + s);
    }

    /** Grafana's {@code $name}, {@code ${name}} and {@code ${name:format}}, {@code [[name]]} being out of date. */
    private static int skipVariable(String s, int i) {
        i++;
        if (i < s.length() && s.charAt(i) == '{') return skipBlock(s, i, '{', '}');
        while (i < s.length() && isIdentifierPart(s.charAt(i))) i++;
        return i;
    }
}
