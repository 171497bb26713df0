package io.basalt.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU times of a process or one of its threads, from a /proc/PID/stat or /proc/PID/task/TID/stat line; for a thread
 * also how often it got a CPU and how long it waited for one, from its schedstat (-1 where not read).
 */
record ProcStat(String comm, long utimeTicks, long stimeTicks, long startTicks, long runs, long waitNanos) {
    static final double CLK_TCK = 100.0; // USER_HZ on Linux

    /** The comm may hold spaces and parentheses: the fields start after the last ')'. */
    static ProcStat parse(String line) {
        int open = line.indexOf('('), close = line.lastIndexOf(')');
        if (open < 0 || close < open) throw new IllegalArgumentException("not a /proc stat line: " + line);
        String[] f = line.substring(close + 2).trim().split(" ");
        // after "pid (comm) ": state=0 ... utime=11, stime=12, ..., starttime=19
        return new ProcStat(
                line.substring(open + 1, close),
                Long.parseLong(f[11]),
                Long.parseLong(f[12]),
                Long.parseLong(f[19]),
                -1,
                -1);
    }

    /**
     * With a /proc/PID/task/TID/schedstat line: nanoseconds on a CPU, nanoseconds runnable but waiting for one, and
     * the number of times the thread was put on a CPU (each wakeup, and each return after a preemption).
     */
    ProcStat withSchedstat(String line) {
        String[] f = line.trim().split(" ");
        return new ProcStat(comm, utimeTicks, stimeTicks, startTicks, Long.parseLong(f[2]), Long.parseLong(f[1]));
    }

    double userSeconds() {
        return utimeTicks / CLK_TCK;
    }

    double systemSeconds() {
        return stimeTicks / CLK_TCK;
    }

    /** The process's own line (its threads, live and exited, summed), or null once it is gone. */
    static ProcStat ofProcess(long pid) {
        return read(Path.of("/proc/" + pid + "/stat"));
    }

    /** Each live thread of a process, by TID; empty once the process is gone. */
    static Map<Long, ProcStat> threads(long pid) {
        Map<Long, ProcStat> out = new LinkedHashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks) {
                ProcStat s = read(task.resolve("stat"));
                if (s == null) continue;
                try {
                    s = s.withSchedstat(Files.readString(task.resolve("schedstat")));
                } catch (IOException | RuntimeException e) {
                    // a kernel without schedstats, or the thread exited: CPU times only
                }
                out.put(Long.parseLong(task.getFileName().toString()), s);
            }
        } catch (IOException | RuntimeException e) {
            // the process exited meanwhile
        }
        return out;
    }

    private static ProcStat read(Path stat) {
        try {
            return parse(Files.readString(stat));
        } catch (IOException | RuntimeException e) {
            return null; // the thread or process exited between listing and reading
        }
    }

    /** User plus system seconds of a whole process, or 0 once it is gone. */
    static double cpuSeconds(long pid) {
        ProcStat s = ofProcess(pid);
        return s == null ? 0 : s.userSeconds() + s.systemSeconds();
    }

    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))).replace('\0', ' ');
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
