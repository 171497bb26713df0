package io.basalt.core.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A strict reader of {@code key=value} files, the part of Java's properties format an operator writes by hand:
 * {@code #} and {@code !} comments, blank lines, whitespace around keys and values ignored. Refused, with the
 * line: a line without {@code =}, a key outside {@code [A-Za-z0-9._-]}, a key given twice (java.util.Properties
 * silently keeps the last, so the first line would look in force while it is not) and any backslash
 * (properties escapes and continuation lines, which would make the file mean something else than it reads).
 * What it accepts, java.util.Properties reads the same (but for trailing spaces, which it keeps).
 */
public final class PropertiesFile {

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private PropertiesFile() {}

    /** The file's keys and values in file order; IllegalArgumentException naming the file (and line). */
    public static Map<String, String> read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text");
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IllegalArgumentException(file + ": permission denied");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read it: " + e);
        }
        return parse(text, file.toString());
    }

    /** {@code text}'s keys and values in order; {@code source} names it in messages. */
    public static Map<String, String> parse(String text, String source) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new HashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int n = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("!")) continue;
            if (line.indexOf('\\') >= 0) {
                throw new IllegalArgumentException(
                        at(source, n) + "a backslash (properties escapes and continuation lines are not supported)");
            }
            int eq = line.indexOf('=');
            // a line's text is never quoted back: in a credentials file it may be a secret
            if (eq < 0) throw new IllegalArgumentException(at(source, n) + "expected key=value");
            String key = line.substring(0, eq).strip();
            if (!KEY.matcher(key).matches()) {
                throw new IllegalArgumentException(at(source, n) + "a key is letters, digits, '.', '_' and '-'");
            }
            Integer first = lineOf.putIfAbsent(key, n);
            if (first != null) {
                throw new IllegalArgumentException(at(source, n) + key + " is set again (first on line " + first + ")");
            }
            values.put(key, line.substring(eq + 1).strip());
        }
        return Collections.unmodifiableMap(values);
    }

    private static String at(String source, int line) {
        return source + " line " + line + ": ";
    }
}
