package io.basalt.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a storage node's command line ({@code /proc/PID/cmdline}, arguments joined by spaces) says
 * about it: its id, its data dirs and where it serves its metrics.
 *
 * @param id the {@code --id}, "?" if none
 * @param dataDirs the {@code --data DIR[,DIR...]}, in order
 * @param metricsListen the {@code --metrics-listen HOST:PORT}, null if none
 */
record StorageNodeCommand(String id, List<Path> dataDirs, String metricsListen) {
    static final String MAIN_CLASS = "io.basalt.storage.StorageNodeMain";

    static StorageNodeCommand parse(String cmdline) {
        String[] words = cmdline.trim().split(" ");
        String id = "?";
        String metrics = null;
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i + 1 < words.length; i++) {
            switch (words[i]) {
                case "--id" -> id = words[i + 1];
                case "--metrics-listen" -> metrics = words[i + 1];
                case "--data" -> {
                    for (String d : words[i + 1].split(",")) if (!d.isEmpty()) dirs.add(Path.of(d));
                }
                default -> {}
            }
        }
        return new StorageNodeCommand(id, List.copyOf(dirs), metrics);
    }

    /**
     * The command line of {@code pid}, once it is known to be a storage node under the bench's own
     * launcher; the check runs before every action on it, as a PID may have been reused.
     */
    static StorageNodeCommand ofOwnNode(ProcessHandle launcher, long pid, String action) {
        boolean ours = launcher.descendants().anyMatch(h -> h.pid() == pid);
        String cmd = ProcStat.cmdline(pid);
        if (!ours || !cmd.contains(MAIN_CLASS))
            throw new IllegalStateException("pid " + pid + " is not a storage node under the bench's launcher "
                    + launcher.pid() + "; not " + action + " it");
        return parse(cmd);
    }
}
