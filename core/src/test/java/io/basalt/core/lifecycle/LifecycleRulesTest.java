package io.basalt.core.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.proto.meta.LifecycleConfiguration;
import io.basalt.proto.meta.LifecycleRule;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.UploadRecord;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class LifecycleRulesTest {

    private static final long DAY = LifecycleRules.DAY_MILLIS;

    private static ObjectRecord object(String created, long size, Map<String, String> tags) {
        return ObjectRecord.newBuilder()
                .setModifiedUnixMs(Instant.parse(created).toEpochMilli())
                .setSize(size)
                .putAllTags(tags)
                .build();
    }

    private static LifecycleConfiguration config(LifecycleRule... rules) {
        return LifecycleConfiguration.newBuilder()
                .addAllRules(java.util.List.of(rules))
                .build();
    }

    private static long at(String iso) {
        return Instant.parse(iso).toEpochMilli();
    }

    @Test
    void daysCountFromCreationRoundedUpToTheNextMidnightUtc() {
        // S3's own example: created 2014-01-15 10:30 UTC, 3 days: expires 2014-01-19 00:00 UTC
        LifecycleConfiguration c = config(
                LifecycleRule.newBuilder().setEnabled(true).setExpirationDays(3).build());
        assertEquals(
                OptionalLong.of(at("2014-01-19T00:00:00Z")),
                LifecycleRules.expiry(c, "k", object("2014-01-15T10:30:00Z", 1, Map.of()), DAY));
        // created on a midnight: exactly the days later
        assertEquals(
                OptionalLong.of(at("2014-01-18T00:00:00Z")),
                LifecycleRules.expiry(c, "k", object("2014-01-15T00:00:00Z", 1, Map.of()), DAY));
    }

    @Test
    void ofSeveralMatchingRulesTheEarliestWinsAndDisabledOrNonMatchingOnesDoNothing() {
        LifecycleConfiguration c = config(
                LifecycleRule.newBuilder()
                        .setEnabled(true)
                        .setPrefix("logs/")
                        .setExpirationDays(30)
                        .build(),
                LifecycleRule.newBuilder()
                        .setEnabled(true)
                        .putTags("class", "scratch")
                        .setExpirationDateUnixMs(at("2020-06-01T00:00:00Z"))
                        .build(),
                LifecycleRule.newBuilder()
                        .setEnabled(false)
                        .setExpirationDays(1)
                        .build(),
                LifecycleRule.newBuilder()
                        .setEnabled(true)
                        .setSizeGreaterThan(100)
                        .setSizeLessThan(200)
                        .setExpirationDays(2)
                        .build());
        assertEquals(
                OptionalLong.of(at("2020-06-01T00:00:00Z")),
                LifecycleRules.expiry(c, "logs/a", object("2020-05-15T08:00:00Z", 1, Map.of("class", "scratch")), DAY));
        assertEquals(
                OptionalLong.of(at("2020-06-15T00:00:00Z")),
                LifecycleRules.expiry(c, "logs/a", object("2020-05-15T08:00:00Z", 1, Map.of("class", "gold")), DAY));
        assertEquals(
                OptionalLong.empty(),
                LifecycleRules.expiry(c, "data/a", object("2020-05-15T08:00:00Z", 1, Map.of()), DAY));
        assertEquals(
                OptionalLong.of(at("2020-05-18T00:00:00Z")),
                LifecycleRules.expiry(c, "data/a", object("2020-05-15T08:00:00Z", 150, Map.of()), DAY));
        assertEquals(
                OptionalLong.empty(),
                LifecycleRules.expiry(c, "data/a", object("2020-05-15T08:00:00Z", 200, Map.of()), DAY),
                "the size bounds are exclusive");
        assertEquals(
                OptionalLong.empty(),
                LifecycleRules.expiry(c, "data/a", object("2020-05-15T08:00:00Z", 100, Map.of()), DAY));
    }

    @Test
    void uploadsAreAbortedByPrefixAfterTheirDays() {
        LifecycleConfiguration c = config(
                LifecycleRule.newBuilder()
                        .setEnabled(true)
                        .setPrefix("up/")
                        .setAbortIncompleteUploadDays(7)
                        .build(),
                LifecycleRule.newBuilder().setEnabled(true).setExpirationDays(1).build());
        UploadRecord up = UploadRecord.newBuilder()
                .setKey("up/x")
                .setInitiatedUnixMs(at("2021-03-01T23:59:00Z"))
                .build();
        assertEquals(OptionalLong.of(at("2021-03-09T00:00:00Z")), LifecycleRules.abortAt(c, up, DAY));
        assertEquals(
                OptionalLong.empty(),
                LifecycleRules.abortAt(c, up.toBuilder().setKey("other/x").build(), DAY),
                "expiring objects does not abort uploads");
    }

    @Test
    void onlyRulesThatEndSomethingInAnUnversionedBucketMakeItWorthScanning() {
        assertFalse(LifecycleRules.actsOnCurrentObjects(config(
                LifecycleRule.newBuilder().setEnabled(true).setNoncurrentDays(3).build())));
        assertFalse(LifecycleRules.actsOnCurrentObjects(config(LifecycleRule.newBuilder()
                .setEnabled(false)
                .setExpirationDays(3)
                .build())));
        assertTrue(LifecycleRules.actsOnCurrentObjects(config(LifecycleRule.newBuilder()
                .setEnabled(true)
                .setAbortIncompleteUploadDays(3)
                .build())));
    }

    /** Any day length: expiry falls on a day boundary, no earlier than the days after creation and less than a day later. */
    @Property
    void expiryIsTheFirstDayBoundaryAfterTheDays(
            @ForAll @LongRange(min = 0, max = 4_000_000_000_000L) long created,
            @ForAll @IntRange(min = 1, max = 3650) int days,
            @ForAll @LongRange(min = 1000, max = DAY) long dayMillis) {
        LifecycleConfiguration c = config(LifecycleRule.newBuilder()
                .setEnabled(true)
                .setExpirationDays(days)
                .build());
        long t = LifecycleRules.expiry(
                        c,
                        "k",
                        ObjectRecord.newBuilder().setModifiedUnixMs(created).build(),
                        dayMillis)
                .orElseThrow();
        long earliest = created + days * dayMillis;
        assertEquals(0, t % dayMillis);
        assertTrue(t >= earliest && t < earliest + dayMillis, t + " vs " + earliest);
    }
}
