package io.basalt.core.listing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.Keys;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.core.meta.MetadataStore.ListedVersion;
import io.basalt.core.meta.VersionIds;
import io.basalt.proto.meta.ObjectRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * ListObjectVersions over an in-memory bucket: the merged listing is every version in S3's order (keys in
 * byte order, the current version first, then newest first), and paging through it with the markers it
 * hands out, at any page size and with any delimiter, yields the same entries exactly once.
 */
class VersionListingProperties {

    /** One key's versions: current (or none) and the noncurrent ones, newest first. */
    record KeyVersions(ObjectRecord current, List<ObjectRecord> noncurrent) {}

    @Property(tries = 300)
    void pagingYieldsTheWholeListingOnce(
            @ForAll("buckets") TreeMap<String, KeyVersions> bucket,
            @ForAll @IntRange(min = 1, max = 7) int pageSize,
            @ForAll("delimiters") String delimiter,
            @ForAll("prefixes") String prefix) {
        VersionListing.Source source = source(bucket);
        VersionListing.Result whole = VersionListing.list(source, prefix, delimiter, null, null, 10_000, 3);
        List<String> expected = new ArrayList<>();
        for (VersionListing.Version v : whole.versions()) expected.add(v.key() + "@" + id(v.record()));
        expected.addAll(whole.commonPrefixes().stream().map(p -> p + "/").toList());

        List<String> paged = new ArrayList<>();
        String km = null, vm = null;
        for (int pages = 0; ; pages++) {
            assertTrue(pages < 1000, "paging ends");
            VersionListing.Result r = VersionListing.list(source, prefix, delimiter, km, vm, pageSize, 3);
            assertTrue(r.versions().size() + r.commonPrefixes().size() <= pageSize);
            for (VersionListing.Version v : r.versions()) paged.add(v.key() + "@" + id(v.record()));
            paged.addAll(r.commonPrefixes().stream().map(p -> p + "/").toList());
            if (!r.truncated()) break;
            km = r.nextKeyMarker();
            vm = r.nextVersionIdMarker();
        }
        assertEquals(sorted(expected), sorted(paged));
        assertEquals(expected.size(), paged.size(), "nothing twice");
        if (delimiter.isEmpty()) assertEquals(model(bucket, prefix), expected);
    }

    /** Without a delimiter: every version under the prefix, keys ascending, current first, then newest first. */
    private static List<String> model(TreeMap<String, KeyVersions> bucket, String prefix) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, KeyVersions> e : bucket.entrySet()) {
            if (!e.getKey().startsWith(prefix)) continue;
            if (e.getValue().current() != null)
                out.add(e.getKey() + "@" + id(e.getValue().current()));
            for (ObjectRecord r : e.getValue().noncurrent()) out.add(e.getKey() + "@" + id(r));
        }
        return out;
    }

    private static List<String> sorted(List<String> l) {
        return l.stream().sorted().toList();
    }

    private static String id(ObjectRecord r) {
        return MetadataStore.s3VersionId(r);
    }

    private static VersionListing.Source source(TreeMap<String, KeyVersions> bucket) {
        // positions as the store makes them: key, separator, newest first
        TreeMap<String, ListedVersion> noncurrent = new TreeMap<>(ObjectListing::compare);
        TreeMap<String, ListedObject> current = new TreeMap<>(ObjectListing::compare);
        for (Map.Entry<String, KeyVersions> e : bucket.entrySet()) {
            if (e.getValue().current() != null)
                current.put(
                        e.getKey(), new ListedObject(e.getKey(), e.getValue().current()));
            for (ObjectRecord r : e.getValue().noncurrent()) {
                String pos = e.getKey() + Keys.VERSION_SEPARATOR
                        + String.format("%016x", Long.MAX_VALUE - r.getModifiedUnixMs()) + "." + r.getVersionId();
                noncurrent.put(pos, new ListedVersion(e.getKey(), pos, r));
            }
        }
        return new VersionListing.Source() {
            @Override
            public List<ListedObject> current(String from, boolean inclusive, String to, int limit) {
                var tail = current.tailMap(from, inclusive);
                if (to != null) tail = tail.headMap(to, false);
                return tail.values().stream().limit(limit).toList();
            }

            @Override
            public List<ListedVersion> noncurrent(String from, boolean inclusive, int limit) {
                return noncurrent.tailMap(from, inclusive).values().stream()
                        .limit(limit)
                        .toList();
            }
        };
    }

    @Provide
    Arbitrary<String> delimiters() {
        return Arbitraries.of("", "/");
    }

    @Provide
    Arbitrary<String> prefixes() {
        return Arbitraries.of("", "a", "a/", "b");
    }

    @Provide
    Arbitrary<TreeMap<String, KeyVersions>> buckets() {
        Arbitrary<String> keys =
                Arbitraries.strings().withChars("ab/").ofMinLength(1).ofMaxLength(4);
        Arbitrary<KeyVersions> versions = Combinators.combine(
                        Arbitraries.of(true, false),
                        Arbitraries.integers().between(0, 4),
                        Arbitraries.integers().between(0, 1_000_000))
                .as((hasCurrent, count, seed) -> {
                    long t = 1_000_000 + seed;
                    List<ObjectRecord> older = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        // newest first; the last may be the null version, any may be a delete marker
                        boolean nullVersion = i == count - 1 && seed % 2 == 0;
                        long ms = t - 10L * (i + 1);
                        older.add(ObjectRecord.newBuilder()
                                .setModifiedUnixMs(ms)
                                .setVersionId(VersionIds.newId(ms))
                                .setVersioned(!nullVersion)
                                .setDeleteMarker((seed >> i) % 3 == 0)
                                .build());
                    }
                    // a key without a current version has a delete marker on top (the store keeps it so)
                    if (!hasCurrent && !older.isEmpty())
                        older.set(
                                0,
                                older.get(0).toBuilder().setDeleteMarker(true).build());
                    ObjectRecord cur = hasCurrent
                            ? ObjectRecord.newBuilder()
                                    .setModifiedUnixMs(t)
                                    .setVersionId(VersionIds.newId(t))
                                    .setVersioned(true)
                                    .build()
                            : null;
                    return new KeyVersions(cur, older);
                })
                .filter(kv -> kv.current() != null || !kv.noncurrent().isEmpty());
        return Arbitraries.maps(keys, versions).ofMaxSize(8).map(m -> {
            TreeMap<String, KeyVersions> t = new TreeMap<>(ObjectListing::compare);
            t.putAll(m);
            return t;
        });
    }
}
