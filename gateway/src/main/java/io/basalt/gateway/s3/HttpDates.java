package io.basalt.gateway.s3;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * HTTP dates (RFC 9110 section 5.6.7), the one place the gateway writes and reads them.
 *
 * <p>Writes only IMF-fixdate, {@code Sun, 06 Nov 1994 08:49:37 GMT}: a two-digit day, English names
 * whatever the machine's locale, always GMT. {@code DateTimeFormatter.RFC_1123_DATE_TIME} writes a
 * one-digit day, which strict clients (minio-java, OkHttp) refuse on the 1st to the 9th of a month.
 *
 * <p>Reads the three forms a recipient must accept: IMF-fixdate (leniently: a one-digit day or a
 * numeric zone, as older clients send), the obsolete RFC 850 form {@code Sunday, 06-Nov-94 08:49:37
 * GMT} and C's asctime form {@code Sun Nov  6 08:49:37 1994}.
 */
public final class HttpDates {

    private static final DateTimeFormatter IMF_FIXDATE = DateTimeFormatter.ofPattern(
                    "EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter RFC_1123 = DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.US);
    /** RFC 850 after its weekday: the two-digit year is placed in a century by {@link #rfc850Year}. */
    private static final DateTimeFormatter RFC_850_DATE =
            DateTimeFormatter.ofPattern("dd-MMM-uu HH:mm:ss 'GMT'", Locale.US);

    private static final DateTimeFormatter ASCTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss uuuu", Locale.US).withZone(ZoneOffset.UTC);

    private HttpDates() {}

    public static String format(long unixMs) {
        return IMF_FIXDATE.format(Instant.ofEpochMilli(unixMs));
    }

    public static String format(Instant when) {
        return IMF_FIXDATE.format(when);
    }

    /** The instant an HTTP date names, or null if it is none of the three forms. */
    public static Instant parse(String s) {
        if (s == null) return null;
        String text = s.trim();
        try {
            return Instant.from(RFC_1123.parse(text));
        } catch (DateTimeException notImf) {
            // try the obsolete forms
        }
        try {
            return Instant.from(ASCTIME.parse(text));
        } catch (DateTimeException notAsctime) {
            // try RFC 850
        }
        try {
            return rfc850(text);
        } catch (DateTimeException notRfc850) {
            return null;
        }
    }

    /**
     * RFC 850 with its two-digit year. RFC 9110: a year that appears to be more than 50 years in the
     * future is the most recent past year with the same last two digits.
     */
    private static Instant rfc850(String text) {
        int comma = text.indexOf(", ");
        if (comma < 0) throw new DateTimeParseException("not an RFC 850 date", text, 0);
        LocalDateTime parsed = LocalDateTime.parse(text.substring(comma + 2), RFC_850_DATE);
        LocalDateTime when = parsed.withYear(
                rfc850Year(parsed.getYear(), LocalDateTime.now(ZoneOffset.UTC).getYear()));
        // The weekday is checked by hand: the formatter would check it against the wrong century.
        if (!when.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US).equals(text.substring(0, comma))) {
            throw new DateTimeParseException("weekday does not match the date", text, 0);
        }
        return when.toInstant(ZoneOffset.UTC);
    }

    /**
     * Places the two digits of {@code parsedYear} (what pattern "uu" gave) in the window of a hundred
     * years that ends 50 years after {@code thisYear}.
     */
    static int rfc850Year(int parsedYear, int thisYear) {
        int year = thisYear - Math.floorMod(thisYear, 100) + Math.floorMod(parsedYear, 100);
        if (year > thisYear + 50) return year - 100;
        if (year <= thisYear - 50) return year + 100;
        return year;
    }
}
