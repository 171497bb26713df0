package io.basalt.core.listing;

import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.core.meta.MetadataStore.ListedVersion;
import io.basalt.proto.meta.ObjectRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * ListObjectVersions over the two places versions live: current ones (one per key, in key order) and
 * noncurrent ones and delete markers (by key, newest first). Merged by key, the current version first; with
 * S3's prefix, delimiter roll-up (a common prefix skipped with one jump in each scan), key and version-id
 * markers, max-keys and exact truncation.
 */
public final class VersionListing {

    static final int BATCH = 1000;

    /** Where the versions come from. */
    public interface Source {
        List<ListedObject> current(String fromKey, boolean inclusive, String toExclusive, int limit);

        List<ListedVersion> noncurrent(String fromPosition, boolean inclusive, int limit);
    }

    /** One version listed; {@code latest} is S3's IsLatest. */
    public record Version(String key, ObjectRecord record, boolean latest) {}

    public record Result(
            List<Version> versions,
            List<String> commonPrefixes,
            boolean truncated,
            String nextKeyMarker,
            String nextVersionIdMarker) {}

    /** Resume points of the two streams. */
    private record Start(
            String currentFrom, boolean currentInclusive, String noncurrentFrom, boolean noncurrentInclusive) {}

    private VersionListing() {}

    public static Result list(
            Source source, String prefix, String delimiter, String keyMarker, String versionIdMarker, int maxKeys) {
        return list(source, prefix, delimiter, keyMarker, versionIdMarker, maxKeys, BATCH);
    }

    static Result list(
            Source source,
            String prefix,
            String delimiter,
            String keyMarker,
            String versionIdMarker,
            int maxKeys,
            int batch) {
        prefix = prefix == null ? "" : prefix;
        delimiter = delimiter == null ? "" : delimiter;
        List<Version> versions = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        if (maxKeys == 0) return new Result(versions, prefixes, false, null, null);
        ObjectListing.Request shape = new ObjectListing.Request(prefix, delimiter, "", maxKeys);
        String upper = prefix.isEmpty() ? null : ObjectListing.successor(prefix);

        Start start = start(source, shape, keyMarker, versionIdMarker);
        String resumedKey = versionIdMarker == null || versionIdMarker.isEmpty() ? null : keyMarker;
        Stream<ListedObject> current = new Stream<>(
                (from, inclusive) -> source.current(from, inclusive, upper, batch),
                ListedObject::key,
                ListedObject::key,
                start.currentFrom(),
                start.currentInclusive(),
                batch);
        Stream<ListedVersion> noncurrent = new Stream<>(
                (from, inclusive) -> source.noncurrent(from, inclusive, batch),
                ListedVersion::position,
                ListedVersion::key,
                start.noncurrentFrom(),
                start.noncurrentInclusive(),
                batch);

        String lastKey = null, lastVersion = null;
        int emitted = 0;
        while (true) {
            ListedObject c = current.peek();
            ListedVersion n = noncurrent.peek();
            if (n != null && upper != null && ObjectListing.compare(n.key(), upper) >= 0) n = null;
            if (c == null && n == null) return new Result(versions, prefixes, false, null, null);
            String key =
                    c == null ? n.key() : n == null || ObjectListing.compare(c.key(), n.key()) <= 0 ? c.key() : n.key();
            String cp = ObjectListing.commonPrefixOf(key, shape);
            if (emitted == maxKeys) return new Result(versions, prefixes, true, lastKey, lastVersion);
            if (cp != null) {
                prefixes.add(cp);
                emitted++;
                lastKey = cp;
                lastVersion = null;
                current.skipPrefix(cp);
                noncurrent.skipPrefix(cp);
                continue;
            }
            boolean hasCurrent = c != null && c.key().equals(key);
            if (hasCurrent) {
                versions.add(new Version(key, c.record(), true));
                current.next();
                emitted++;
                lastKey = key;
                lastVersion = MetadataStore.s3VersionId(c.record());
            }
            // the newest noncurrent entry is the latest only for a key without a current version
            boolean first = !hasCurrent && !key.equals(resumedKey);
            for (ListedVersion v = noncurrent.peek(); v != null && v.key().equals(key); v = noncurrent.peek()) {
                if (emitted == maxKeys) return new Result(versions, prefixes, true, lastKey, lastVersion);
                versions.add(new Version(key, v.record(), first));
                first = false;
                noncurrent.next();
                emitted++;
                lastKey = key;
                lastVersion = MetadataStore.s3VersionId(v.record());
            }
        }
    }

    /** Where each stream starts: at the prefix, after the key marker, or after the version it names. */
    private static Start start(Source source, ObjectListing.Request shape, String keyMarker, String versionIdMarker) {
        String prefix = shape.prefix();
        if (keyMarker == null || keyMarker.isEmpty() || ObjectListing.compare(keyMarker, prefix) < 0) {
            return new Start(prefix, true, prefix, true);
        }
        if (keyMarker.equals(ObjectListing.commonPrefixOf(keyMarker, shape))) {
            // resuming after a common prefix: skip all of it
            String past = ObjectListing.successor(keyMarker);
            return new Start(past, true, past, true);
        }
        // every version of a key sorts before "key\u0001": no key holds a character below a tab but \0
        String pastKey = keyMarker + '\u0001';
        if (versionIdMarker == null || versionIdMarker.isEmpty()) return new Start(keyMarker, false, pastKey, true);
        List<ListedObject> cur = source.current(keyMarker, true, ObjectListing.successor(keyMarker), 1);
        if (!cur.isEmpty()
                && cur.get(0).key().equals(keyMarker)
                && MetadataStore.s3VersionId(cur.get(0).record()).equals(versionIdMarker)) {
            return new Start(keyMarker, false, keyMarker + Keys.VERSION_SEPARATOR, true);
        }
        String from = keyMarker + Keys.VERSION_SEPARATOR;
        while (true) {
            List<ListedVersion> page = source.noncurrent(from, true, BATCH);
            for (ListedVersion v : page) {
                if (!v.key().equals(keyMarker)) return new Start(keyMarker, false, pastKey, true);
                if (MetadataStore.s3VersionId(v.record()).equals(versionIdMarker)) {
                    return new Start(keyMarker, false, v.position(), false);
                }
            }
            if (page.size() < BATCH) return new Start(keyMarker, false, pastKey, true);
            from = page.getLast().position() + '\u0000';
        }
    }

    /** A sorted scan read a page at a time, with one element of look-ahead. */
    private static final class Stream<T> {
        interface Pager<T> {
            List<T> page(String from, boolean inclusive);
        }

        private final Pager<T> pager;
        private final java.util.function.Function<T, String> position;
        private final java.util.function.Function<T, String> key;
        private final int batch;
        private List<T> page = List.of();
        private int at;
        private String from;
        private boolean inclusive;
        private boolean exhausted;

        Stream(
                Pager<T> pager,
                java.util.function.Function<T, String> position,
                java.util.function.Function<T, String> key,
                String from,
                boolean inclusive,
                int batch) {
            this.pager = pager;
            this.position = position;
            this.key = key;
            this.from = from;
            this.inclusive = inclusive;
            this.batch = batch;
        }

        T peek() {
            if (at == page.size()) {
                if (exhausted) return null;
                page = pager.page(from, inclusive);
                at = 0;
                if (page.size() < batch) exhausted = true;
                if (page.isEmpty()) return null;
                from = position.apply(page.getLast());
                inclusive = false;
            }
            return page.get(at);
        }

        void next() {
            at++;
        }

        /** Past every entry whose key starts with {@code prefix}: one jump, not a read through them. */
        void skipPrefix(String prefix) {
            while (at < page.size() && key.apply(page.get(at)).startsWith(prefix)) at++;
            if (at == page.size() && !exhausted) {
                from = ObjectListing.successor(prefix); // a position at or past every version of those keys
                inclusive = true;
            }
        }
    }
}
