package io.basalt.gateway.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** HTTP dates as RFC 9110 section 5.6.7 defines them. */
class HttpDatesProperties {

    private static final Pattern IMF_FIXDATE = Pattern.compile(
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4} \\d\\d:\\d\\d:\\d\\d GMT");

    /** 1970 to 9999, in seconds. */
    @Property
    void writesImfFixdateAndReadsItBack(@ForAll @LongRange(min = 0, max = 253_402_300_799L) long epochSecond) {
        String s = HttpDates.format(epochSecond * 1000 + 999);
        assertTrue(IMF_FIXDATE.matcher(s).matches(), s);
        assertEquals(Instant.ofEpochSecond(epochSecond), HttpDates.parse(s));
    }

    @Test
    void singleDigitDaysHaveTwoDigits() {
        for (int day = 1; day <= 9; day++) {
            long ms = LocalDateTime.of(2026, 12, day, 5, 17, 32)
                    .toInstant(ZoneOffset.UTC)
                    .toEpochMilli();
            String s = HttpDates.format(ms);
            assertEquals(" 0" + day + " Dec 2026 05:17:32 GMT", s.substring(4), s);
        }
        assertEquals("Wed, 02 Dec 2026 05:17:32 GMT", HttpDates.format(Instant.parse("2026-12-02T05:17:32Z")));
    }

    @Test
    void englishWhateverTheDefaultLocale() {
        Locale saved = Locale.getDefault();
        try {
            for (String tag : new String[] {"de-DE", "tr-TR", "ar-SA", "ja-JP", "fr-FR"}) {
                Locale.setDefault(Locale.forLanguageTag(tag));
                assertEquals(
                        "Sun, 06 Nov 1994 08:49:37 GMT", HttpDates.format(Instant.parse("1994-11-06T08:49:37Z")), tag);
                assertEquals(
                        Instant.parse("1994-11-06T08:49:37Z"), HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT"), tag);
            }
        } finally {
            Locale.setDefault(saved);
        }
    }

    /** The three forms RFC 9110 gives for the same instant. */
    @Test
    void readsTheThreeForms() {
        Instant rfcExample = Instant.parse("1994-11-06T08:49:37Z");
        assertEquals(rfcExample, HttpDates.parse("Sun, 06 Nov 1994 08:49:37 GMT"));
        assertEquals(rfcExample, HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT"));
        assertEquals(rfcExample, HttpDates.parse("Sun Nov  6 08:49:37 1994"));
        assertEquals(Instant.parse("2026-12-02T05:17:32Z"), HttpDates.parse("Wed Dec  2 05:17:32 2026"));
        assertEquals(Instant.parse("2026-11-26T05:17:32Z"), HttpDates.parse("Thu Nov 26 05:17:32 2026"));
        // What older clients and java.time's RFC_1123_DATE_TIME send: one-digit day, numeric zone.
        assertEquals(Instant.parse("2026-12-02T05:17:32Z"), HttpDates.parse("Wed, 2 Dec 2026 05:17:32 GMT"));
        assertEquals(Instant.parse("2026-12-02T05:17:32Z"), HttpDates.parse("Wed, 2 Dec 2026 06:17:32 +0100"));
        assertEquals(Instant.parse("2026-12-02T05:17:32Z"), HttpDates.parse("  Wed, 02 Dec 2026 05:17:32 GMT "));
    }

    @Test
    void refusesWhatIsNoDate() {
        for (String bad : new String[] {
            "",
            "yesterday",
            "2026-12-02T05:17:32Z",
            "Wed, 32 Dec 2026 05:17:32 GMT",
            "Thu, 02 Dec 2026 05:17:32 GMT",
            "Monday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994 GMT"
        }) {
            assertNull(HttpDates.parse(bad), bad);
        }
        assertNull(HttpDates.parse(null));
    }

    /** RFC 9110: a two-digit year more than 50 years ahead is the most recent past year ending so. */
    @Test
    void rfc850TwoDigitYears() {
        assertEquals(2026, HttpDates.rfc850Year(2026, 2026));
        assertEquals(2076, HttpDates.rfc850Year(2076, 2026));
        assertEquals(1977, HttpDates.rfc850Year(2077, 2026));
        assertEquals(1994, HttpDates.rfc850Year(2094, 2026));
        assertEquals(2100, HttpDates.rfc850Year(2000, 2099));
        assertEquals(2149, HttpDates.rfc850Year(2049, 2099));
        assertEquals(2050, HttpDates.rfc850Year(2050, 2099));
    }
}
