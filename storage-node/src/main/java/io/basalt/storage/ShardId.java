package io.basalt.storage;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/** Shard id rules. Ids become file names, so anything that could escape a directory is refused. */
final class ShardId {
    static final int MAX_LENGTH = 160;

    private ShardId() {}

    /** Returns {@code id} if usable as a file name, else throws IllegalArgumentException. */
    static String validate(String id) {
        if (!usable(id)) throw new IllegalArgumentException("invalid shard id '" + id + "'");
        return id;
    }

    // 1 to 160 of [A-Za-z0-9._-], not starting with a dot. A loop, not a regex: it runs on every shard read,
    // where a matcher's allocation and backtracking showed in profiles of ranged GETs.
    private static boolean usable(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH || id.charAt(0) == '.') return false;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '.'
                    || c == '_'
                    || c == '-';
            if (!ok) return false;
        }
        return true;
    }

    /** Stable 32-bit hash of the id: picks the fan-out directory and breaks data dir ties. */
    static int hash(String id) {
        CRC32C crc = new CRC32C();
        crc.update(id.getBytes(StandardCharsets.US_ASCII));
        return (int) crc.getValue();
    }

    /** Two hex chars, so no single directory holds more than 1/256 of a disk's shards. */
    static String fanOut(String id) {
        return HexFormat.of().toHexDigits((byte) hash(id));
    }
}
