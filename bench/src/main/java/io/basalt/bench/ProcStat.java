package io.basalt.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** CPU times of a process or one of its threads, from a /proc/PID/stat or /proc/PID/task/TID/stat line. */
record ProcStat(String comm, long utimeTicks, long stimeTicks, long startTicks) {
    static final double CLK_TCK = 100.0; // USER_HZ on Linux

    /** The comm may hold spaces and parentheses: the fields start after the last ')'. */
    static ProcStat parse(String line) {
        int open = line.indexOf('('), close = line.lastIndexOf(')');
        if (open < 0 || close < open) throw new IllegalArgumentException("not a /proc stat line: " + line);
        String[] f = line.substring(close + 2).trim().split(" ");
        // after "pid (comm) ": state=0 ... utime=11, stime=12, ..., starttime=19
        return new ProcStat(
                line.substring(open + 1, close), Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[19]));
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
                if (s != null) out.put(Long.parseLong(task.getFileName().toString()), s);
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
