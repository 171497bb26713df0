package io.basalt.core.listing;

import io.basalt.core.meta.MetadataStore.ListedObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * S3 listing semantics over a sorted key scan: prefix, delimiter roll-up into common
 * prefixes, max-keys and exact truncation. A common prefix is skipped with one jump to the
 * first key past it, so a directory of a million keys costs one scan, not a million.
 */
public final class ObjectListing {

    static final int BATCH = 1000;

    /** Keys of one bucket in byte order, from {@code from} (inclusive or not), below {@code toExclusive} (null: no bound). */
    @FunctionalInterface
    public interface Scanner {
        List<ListedObject> scan(String from, boolean inclusive, String toExclusive, int limit);
    }

    /**
     * @param after      list only entries after this key or common prefix (start-after, marker or
     *                   decoded continuation token); null or empty for none
     */
    public record Request(String prefix, String delimiter, String after, int maxKeys) {
        public Request {
            prefix = prefix == null ? "" : prefix;
            delimiter = delimiter == null ? "" : delimiter;
            after = after == null ? "" : after;
            if (maxKeys < 0) throw new IllegalArgumentException("max-keys must not be negative");
        }
    }

    /** {@code lastEmitted} is the last key or common prefix returned: the resume point of a truncated page. */
    public record Result(
            List<ListedObject> contents, List<String> commonPrefixes, boolean truncated, String lastEmitted) {}

    private ObjectListing() {}

    public static Result list(Scanner scanner, Request req) {
        return list(scanner, req, BATCH);
    }

    /** @param batch keys fetched per scan; a scan returning fewer means the range is exhausted */
    static Result list(Scanner scanner, Request req, int batch) {
        List<ListedObject> contents = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        if (req.maxKeys() == 0) return new Result(contents, prefixes, false, null);

        String upper = req.prefix().isEmpty() ? null : successor(req.prefix());
        String cursor = req.prefix();
        boolean inclusive = true;
        if (!req.after().isEmpty() && compare(req.after(), req.prefix()) >= 0) {
            String cp = commonPrefixOf(req.after(), req);
            if (cp != null && cp.equals(req.after())) {
                cursor = successor(cp); // resuming after a common prefix: skip all of it
            } else {
                cursor = req.after();
                inclusive = false;
            }
        }
        String lastPrefix = null;
        String lastEmitted = null;
        int emitted = 0;
        while (true) {
            List<ListedObject> page = scanner.scan(cursor, inclusive, upper, batch);
            for (ListedObject o : page) {
                if (lastPrefix != null && o.key().startsWith(lastPrefix)) continue;
                String cp = commonPrefixOf(o.key(), req);
                if (emitted == req.maxKeys()) return new Result(contents, prefixes, true, lastEmitted);
                if (cp != null) {
                    prefixes.add(cp);
                    lastPrefix = cp;
                    lastEmitted = cp;
                } else {
                    contents.add(o);
                    lastEmitted = o.key();
                }
                emitted++;
            }
            if (page.size() < batch) return new Result(contents, prefixes, false, lastEmitted);
            String lastKey = page.get(page.size() - 1).key();
            if (lastPrefix != null && lastKey.startsWith(lastPrefix)) {
                cursor = successor(lastPrefix);
                inclusive = true;
            } else {
                cursor = lastKey;
                inclusive = false;
            }
        }
    }

    /** The common prefix {@code key} rolls up into, or null when it is listed as itself. */
    static String commonPrefixOf(String key, Request req) {
        if (req.delimiter().isEmpty() || !key.startsWith(req.prefix())) return null;
        int i = key.indexOf(req.delimiter(), req.prefix().length());
        return i < 0 ? null : key.substring(0, i + req.delimiter().length());
    }

    /** The smallest string greater than every string that starts with {@code s}, in UTF-8 byte order. */
    public static String successor(String s) {
        int last = s.codePointBefore(s.length());
        String head = s.substring(0, s.length() - Character.charCount(last));
        int next = last + 1;
        if (next >= Character.MIN_SURROGATE && next <= Character.MAX_SURROGATE) next = Character.MAX_SURROGATE + 1;
        if (next > Character.MAX_CODE_POINT) return successor(head);
        return head + new String(Character.toChars(next));
    }

    /** S3 order: unsigned UTF-8 bytes. */
    public static int compare(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
