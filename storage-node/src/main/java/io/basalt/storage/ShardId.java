package io.basalt.storage;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/** Shard id rules. Ids become file names, so anything that could escape a directory is refused. */
final class ShardId {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,160}");

    private ShardId() {}

    /** Returns {@code id} if usable as a file name, else throws IllegalArgumentException. */
    static String validate(String id) {
        if (id == null || !VALID.matcher(id).matches() || id.startsWith(".")) {
            throw new IllegalArgumentException("invalid shard id '" + id + "'");
        }
        return id;
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
