package io.basalt.core.config;

import java.util.function.Function;

/** Flag values as numbers and booleans; a malformed one is a {@link BadFlag} naming the flag. */
public final class FlagValues {

    private FlagValues() {}

    public static int integer(String flag, String value) {
        return parse(flag, value, "an integer", Integer::parseInt);
    }

    public static long integer64(String flag, String value) {
        return parse(flag, value, "an integer", Long::parseLong);
    }

    /** A finite decimal number (NaN and infinities are refused: no limit or interval means them). */
    public static double decimal(String flag, String value) {
        double d = parse(flag, value, "a number", Double::parseDouble);
        if (!Double.isFinite(d)) throw new BadFlag(flag, "must be a number, got " + value);
        return d;
    }

    public static boolean bool(String flag, String value) {
        if (value.equals("true")) return true;
        if (value.equals("false")) return false;
        throw new BadFlag(flag, "takes true or false, got " + value);
    }

    private static <T> T parse(String flag, String value, String what, Function<String, T> parse) {
        try {
            return parse.apply(value.trim());
        } catch (NumberFormatException e) {
            throw new BadFlag(flag, "must be " + what + ", got " + value);
        }
    }
}
