package io.basalt.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * When each data dir was last scrubbed through, kept in the dir itself ({@value #FILE}: epoch
 * milliseconds), so that a restart does not start a pass: without it a node restarted every day (an
 * upgrade, a rolling restart, a dev cluster) reads every disk through at each start instead of once
 * per interval, and a node's first minutes compete with a full pass. Not fsynced: a lost record
 * costs one pass too many, never one too few.
 */
final class ScrubSchedule {
    private static final Logger log = LogManager.getLogger(ScrubSchedule.class);
    static final String FILE = "scrub-last-pass";

    private ScrubSchedule() {}

    /** The last pass through {@code dir}, if one was recorded and can be read. */
    static OptionalLong lastPass(DataDir dir) {
        try {
            return OptionalLong.of(
                    Long.parseLong(Files.readString(dir.root().resolve(FILE)).trim()));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException | NumberFormatException e) {
            log.warn("scrub: cannot read {} in {}, counting the dir as due: {}", FILE, dir.root(), e.toString());
            return OptionalLong.empty();
        }
    }

    /** Records that a pass went through every shard of {@code dir} at {@code atMs}. */
    static void passed(DataDir dir, long atMs) {
        Path file = dir.root().resolve(FILE);
        Path temp = dir.tmp().resolve(FILE + ".new");
        try {
            Files.writeString(temp, Long.toString(atMs), StandardCharsets.US_ASCII);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.warn("scrub: cannot record the pass in {}: {}", dir.root(), e.toString());
        }
    }

    /**
     * How long until the first pass after a start: when the least recently scrubbed dir is due again,
     * but no sooner than {@code initialDelay}. A dir with no record is due, unless it holds no shard
     * (new): then there is nothing to verify, and it counts as scrubbed now.
     *
     * @param empty the dirs holding no shard at start
     */
    static Duration untilFirstPass(
            List<DataDir> dirs, List<DataDir> empty, Duration interval, Duration initialDelay, long nowMs) {
        long due = Long.MAX_VALUE;
        for (DataDir dir : dirs) {
            OptionalLong last = lastPass(dir);
            if (last.isEmpty() && empty.contains(dir)) {
                passed(dir, nowMs);
                last = OptionalLong.of(nowMs);
            }
            // A record in the future (a clock set back) counts as a pass now.
            due = Math.min(due, last.isPresent() ? Math.min(last.getAsLong(), nowMs) + interval.toMillis() : nowMs);
        }
        if (due == Long.MAX_VALUE) due = nowMs + interval.toMillis();
        return Duration.ofMillis(Math.max(due - nowMs, initialDelay.toMillis()));
    }
}
