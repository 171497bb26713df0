package io.basalt.core.listing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.proto.meta.ObjectRecord;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The listing engine against a naive model: filter by prefix, roll up by delimiter, sort, and
 * paginate. Pages chained through the resume point must yield exactly the model's sequence.
 */
class ObjectListingProperties {

    static final Comparator<String> S3_ORDER = ObjectListing::compare;

    @Provide
    Arbitrary<List<String>> keySets() {
        Arbitrary<String> key = Arbitraries.strings()
                .withChars('a', 'b', '/', '-', 'é')
                .ofMinLength(1)
                .ofMaxLength(6);
        return key.set().ofMaxSize(60).map(ArrayList::new);
    }

    @Provide
    Arbitrary<String> prefixes() {
        return Arbitraries.strings().withChars('a', 'b', '/', 'é').ofMaxLength(2);
    }

    @Provide
    Arbitrary<String> delimiters() {
        return Arbitraries.of("", "/", "-", "b/", "é");
    }

    @Property(tries = 300)
    void pagesConcatenateToTheModel(
            @ForAll("keySets") List<String> keys,
            @ForAll("prefixes") String prefix,
            @ForAll("delimiters") String delimiter,
            @ForAll @IntRange(min = 1, max = 7) int maxKeys) {
        TreeMap<String, ObjectRecord> store = new TreeMap<>(S3_ORDER);
        for (String k : keys) store.put(k, ObjectRecord.newBuilder().setEtag(k).build());
        ObjectListing.Scanner scanner = scanner(store);

        List<String> expected = model(store.keySet(), prefix, delimiter);
        List<String> actual = new ArrayList<>();
        String after = null;
        for (int page = 0; page < 1000; page++) {
            ObjectListing.Result r =
                    ObjectListing.list(scanner, new ObjectListing.Request(prefix, delimiter, after, maxKeys), 3);
            assertTrue(r.contents().size() + r.commonPrefixes().size() <= maxKeys);
            // Within a page S3 returns keys and prefixes separately; the merged order is the model's.
            List<String> merged = new ArrayList<>();
            r.contents().forEach(o -> merged.add(o.key()));
            merged.addAll(r.commonPrefixes());
            merged.sort(S3_ORDER);
            actual.addAll(merged);
            if (!r.truncated()) break;
            assertEquals(merged.get(merged.size() - 1), r.lastEmitted());
            after = r.lastEmitted();
        }
        assertEquals(expected, actual);
    }

    @Property(tries = 200)
    void startAfterSkipsEverythingUpToIt(@ForAll("keySets") List<String> keys, @ForAll("prefixes") String startAfter) {
        TreeMap<String, ObjectRecord> store = new TreeMap<>(S3_ORDER);
        for (String k : keys) store.put(k, ObjectRecord.getDefaultInstance());
        ObjectListing.Result r =
                ObjectListing.list(scanner(store), new ObjectListing.Request("", "", startAfter, 1000), 3);
        List<String> expected = store.keySet().stream()
                .filter(k -> startAfter.isEmpty() || S3_ORDER.compare(k, startAfter) > 0)
                .toList();
        assertEquals(expected, r.contents().stream().map(ListedObject::key).toList());
    }

    static List<String> model(Set<String> sortedKeys, String prefix, String delimiter) {
        Set<String> out = new LinkedHashSet<>();
        for (String k : sortedKeys) {
            if (!k.startsWith(prefix)) continue;
            int i = delimiter.isEmpty() ? -1 : k.indexOf(delimiter, prefix.length());
            out.add(i < 0 ? k : k.substring(0, i + delimiter.length()));
        }
        List<String> list = new ArrayList<>(out);
        list.sort(S3_ORDER);
        return list;
    }

    /** A scanner over a sorted map; the listings above fetch 3 keys a scan, to exercise batching. */
    static ObjectListing.Scanner scanner(TreeMap<String, ObjectRecord> store) {
        return (from, inclusive, to, limit) -> {
            List<ListedObject> out = new ArrayList<>();
            for (var e : store.tailMap(from, inclusive).entrySet()) {
                if (to != null && S3_ORDER.compare(e.getKey(), to) >= 0) break;
                if (out.size() == limit) break;
                out.add(new ListedObject(e.getKey(), e.getValue()));
            }
            return out;
        };
    }
}
