package io.basalt.core.meta;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;

/**
 * S3 version ids of a versioned bucket: the version's time in milliseconds (16 hex digits, so ids of one key
 * sort by age) and 64 random bits. Anything else is not an id Basalt made, except S3's "null".
 */
public final class VersionIds {

    private static final SecureRandom RANDOM = new SecureRandom();

    private VersionIds() {}

    public static String newId(long unixMs) {
        byte[] r = new byte[8];
        RANDOM.nextBytes(r);
        return String.format(Locale.ROOT, "%016x", unixMs) + HexFormat.of().formatHex(r);
    }

    /** Whether {@code id} could name a version here: "null", or one of {@link #newId}'s. */
    public static boolean wellFormed(String id) {
        if (id.equals(MetadataStore.NULL_VERSION)) return true;
        if (id.length() != 32) return false;
        for (int i = 0; i < id.length(); i++) {
            if (Character.digit(id.charAt(i), 16) < 0 || Character.isUpperCase(id.charAt(i))) return false;
        }
        return true;
    }
}
