package io.basalt.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a path is a mount point, from {@code /proc/self/mountinfo}: read from the kernel's table,
 * never by a syscall on the path itself, which would block on a hung mount.
 */
final class MountTable {
    private MountTable() {}

    static boolean isMountPoint(Path dir) {
        return source(read(), dir) != null;
    }

    /** The source of the mount on top at {@code dir} ("basalt-hung", "tmpfs", a device), null if none. */
    static String source(Path dir) {
        return source(read(), dir);
    }

    private static String read() {
        try {
            return Files.readString(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean isMountPoint(String mountinfo, Path dir) {
        return source(mountinfo, dir) != null;
    }

    /**
     * @param mountinfo the text of a mountinfo file: the mount point is each line's fifth field, and
     *     after the optional fields' "-" come the file system type and the source
     * @return the source of the last (topmost) mount at {@code dir}, null if none
     */
    static String source(String mountinfo, Path dir) {
        String want = dir.toAbsolutePath().normalize().toString();
        String found = null;
        for (String line : mountinfo.split("\n")) {
            String[] fields = line.split(" ");
            if (fields.length <= 4 || !unescape(fields[4]).equals(want)) continue;
            int dash = java.util.Arrays.asList(fields).indexOf("-");
            found = dash > 0 && dash + 2 < fields.length ? unescape(fields[dash + 2]) : "?";
        }
        return found;
    }

    /** The kernel writes space, tab, newline and backslash in a path as a backslash and three octal digits. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) return false;
        for (int i = from; i < from + 3; i++) if (s.charAt(i) < '0' || s.charAt(i) > '7') return false;
        return true;
    }
}
