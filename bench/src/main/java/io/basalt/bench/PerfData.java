package io.basalt.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * GC counters of a running JVM read from its hsperfdata file (/tmp/hsperfdata_USER/PID), the shared memory jstat
 * reads: no process to start and no agent, and it works for any JVM whose file we can read (ours or the same user's,
 * unless started with -XX:-UsePerfData).
 */
final class PerfData {
    /** Collections so far (jstat YGC + FGC + CGC), of which full (FGC), and stop-the-world time (GCT, safepoints). */
    record Gc(long collections, long full, double pauseSeconds, double safepointSeconds) {
        Gc minus(Gc before) {
            return new Gc(
                    collections - before.collections,
                    full - before.full,
                    pauseSeconds - before.pauseSeconds,
                    safepointSeconds - before.safepointSeconds);
        }
    }

    private PerfData() {}

    /** The GC counters of a JVM, or null when it has no readable hsperfdata file. */
    static Gc gc(long pid) {
        Path file = find(pid);
        if (file == null) return null;
        try {
            return gc(counters(Files.readAllBytes(file)));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static Gc gc(Map<String, Object> c) {
        long freq = num(c, "sun.os.hrt.frequency");
        if (freq <= 0) return null;
        long count = 0, ticks = 0;
        for (int i = 0; c.containsKey("sun.gc.collector." + i + ".invocations"); i++) {
            count += num(c, "sun.gc.collector." + i + ".invocations");
            ticks += num(c, "sun.gc.collector." + i + ".time");
        }
        return new Gc(
                count,
                num(c, "sun.gc.collector.1.invocations"),
                ticks / (double) freq,
                num(c, "sun.rt.safepointTime") / (double) freq);
    }

    private static long num(Map<String, Object> c, String name) {
        return c.get(name) instanceof Long l ? l : 0;
    }

    /** The file is under the temp directory of the JVM's mount namespace, named by its user. */
    private static Path find(long pid) {
        try (DirectoryStream<Path> dirs =
                Files.newDirectoryStream(Path.of("/proc/" + pid + "/root/tmp"), "hsperfdata_*")) {
            for (Path d : dirs) {
                Path f = d.resolve(Long.toString(pid));
                if (Files.isReadable(f)) return f;
            }
        } catch (IOException | RuntimeException e) {
            // no /proc/PID/root access: fall through
        }
        return null;
    }

    /**
     * The long and string entries of an hsperfdata buffer (HotSpot's perfMemory.hpp): a 32-byte prologue (magic
     * 0xcafec0c0, byte order, versions, accessible, used, overflow, mod time, entry offset, entry count), then
     * entries (length, name offset, vector length, type, flags, units, variability, data offset).
     */
    static Map<String, Object> counters(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt(0) != 0xcafec0c0) throw new IllegalArgumentException("not an hsperfdata buffer");
        b.order(b.get(4) == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int offset = b.getInt(24), entries = b.getInt(28);
        Map<String, Object> out = new HashMap<>();
        for (int i = 0; i < entries && offset + 20 <= bytes.length; i++) {
            int length = b.getInt(offset);
            if (length <= 0) break;
            int nameAt = offset + b.getInt(offset + 4);
            int vector = b.getInt(offset + 8);
            byte type = b.get(offset + 12);
            int dataAt = offset + b.getInt(offset + 16);
            int end = nameAt;
            while (end < bytes.length && bytes[end] != 0) end++;
            String name = new String(bytes, nameAt, end - nameAt, StandardCharsets.US_ASCII);
            if (type == 'J' && vector == 0) out.put(name, b.getLong(dataAt));
            else if (type == 'B' && vector > 0) {
                int e = dataAt;
                while (e < dataAt + vector && bytes[e] != 0) e++;
                out.put(name, new String(bytes, dataAt, e - dataAt, StandardCharsets.US_ASCII));
            }
            offset += length;
        }
        return out;
    }
}
