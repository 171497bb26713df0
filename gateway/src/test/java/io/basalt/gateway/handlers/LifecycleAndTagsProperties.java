package io.basalt.gateway.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.basalt.gateway.s3.UriEncoding;
import io.basalt.gateway.s3.XmlBody;
import io.basalt.proto.meta.LifecycleConfiguration;
import io.basalt.proto.meta.LifecycleRule;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The lifecycle document and the x-amz-tagging header read back exactly what was written, for any valid content. */
class LifecycleAndTagsProperties {

    @Property
    void aLifecycleConfigurationSurvivesItsXml(@ForAll("configurations") LifecycleConfiguration config)
            throws IOException {
        byte[] xml = LifecycleXml.toXml(config).toString().getBytes(StandardCharsets.UTF_8);
        assertEquals(config, LifecycleXml.parse(XmlBody.parse(new ByteArrayInputStream(xml))));
    }

    @Property
    void tagsSurviveTheirHeaderAndTheirXml(@ForAll("tagSets") Map<String, String> tags) throws IOException {
        String header = tags.entrySet().stream()
                .map(e -> UriEncoding.encode(e.getKey(), false) + "=" + UriEncoding.encode(e.getValue(), false))
                .collect(Collectors.joining("&"));
        assertEquals(tags, ObjectTags.fromHeader(header));
        byte[] xml = ObjectTags.toXml(tags).toString().getBytes(StandardCharsets.UTF_8);
        assertEquals(tags, ObjectTags.fromXml(XmlBody.parse(new ByteArrayInputStream(xml))));
    }

    /** Letters (any script), digits, spaces and S3's punctuation. */
    private static Arbitrary<String> tagText(int min, int max) {
        return Arbitraries.strings()
                .withChars("abcXYZ019 +-=._:/@")
                .withChars('é', 'ß', '中', 'ж')
                .ofMinLength(min)
                .ofMaxLength(max);
    }

    @Provide
    Arbitrary<Map<String, String>> tagSets() {
        return Arbitraries.maps(tagText(1, 128).filter(k -> !k.startsWith("aws:")), tagText(0, 256))
                .ofMaxSize(10)
                .map(LinkedHashMap::new);
    }

    @Provide
    Arbitrary<LifecycleConfiguration> configurations() {
        return rules().list().ofMinSize(1).ofMaxSize(5).map(rules -> {
            LifecycleConfiguration.Builder b = LifecycleConfiguration.newBuilder();
            for (int i = 0; i < rules.size(); i++) {
                // ids unique when present
                LifecycleRule r = rules.get(i);
                b.addRules(
                        r.getId().isEmpty()
                                ? r
                                : r.toBuilder().setId("r" + i + "-" + r.getId()).build());
            }
            return b.build();
        });
    }

    private Arbitrary<LifecycleRule> rules() {
        Arbitrary<String> ids = Arbitraries.strings().alpha().numeric().ofMaxLength(20);
        Arbitrary<String> prefixes = Arbitraries.strings().withChars("ab/-_.é ").ofMaxLength(12);
        Arbitrary<Map<String, String>> ruleTags =
                Arbitraries.maps(tagText(1, 10), tagText(0, 10)).ofMaxSize(3);
        Arbitrary<Integer> filterKind = Arbitraries.integers().between(0, 2); // none, legacy prefix, filter
        Arbitrary<Integer> action = Arbitraries.integers().between(0, 5);
        Arbitrary<Integer> days = Arbitraries.integers().between(1, 3650);
        return Combinators.combine(ids, Arbitraries.of(true, false), prefixes, ruleTags, filterKind, action, days)
                .as((id, enabled, prefix, tags, kind, act, n) -> {
                    LifecycleRule.Builder r =
                            LifecycleRule.newBuilder().setId(id).setEnabled(enabled);
                    if (kind == 1) r.setPrefix(prefix).setLegacyPrefix(true);
                    boolean plainFilter = kind != 2 || act >= 3; // abort and delete markers take no tags or sizes
                    if (kind == 2) {
                        r.setPrefix(prefix);
                        if (!plainFilter)
                            r.putAllTags(tags).setSizeGreaterThan(n).setSizeLessThan(n * 2L + 1);
                    }
                    switch (act) {
                        case 0 -> r.setExpirationDays(n);
                        case 1 -> r.setExpirationDateUnixMs(n * 86_400_000L);
                        case 2 -> r.setNoncurrentDays(n).setNewerNoncurrentVersions(n % 5);
                        case 3 -> r.setAbortIncompleteUploadDays(n);
                        case 4 -> r.setExpiredObjectDeleteMarker(true);
                        default -> r.setAbortIncompleteUploadDays(n).setNoncurrentDays(n + 1);
                    }
                    return r.build();
                });
    }
}
