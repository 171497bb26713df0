package io.basalt.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Finds the server processes whose CPU a target's figures include, by command line. */
final class ProcessFinder {
    private ProcessFinder() {}

    /**
     * The roles of a Basalt dev cluster under its launcher: gateway, storage-nodes (one pid per node, in start
     * order), coordinator, etcd.
     */
    static Map<String, List<Long>> basaltRoles(ProcessHandle launcher) {
        Map<String, List<Long>> roles = new LinkedHashMap<>();
        List<Long> nodes = new ArrayList<>();
        launcher.descendants().forEach(h -> {
            String cmd = ProcStat.cmdline(h.pid());
            if (cmd.contains("io.basalt.gateway.GatewayMain"))
                roles.computeIfAbsent("gateway", k -> new ArrayList<>()).add(h.pid());
            else if (cmd.contains("io.basalt.storage.StorageNodeMain")) nodes.add(h.pid());
            else if (cmd.contains("io.basalt.coordinator.CoordinatorMain"))
                roles.computeIfAbsent("coordinator", k -> new ArrayList<>()).add(h.pid());
            else if (cmd.startsWith("etcd ") || cmd.contains("/etcd "))
                roles.computeIfAbsent("etcd", k -> new ArrayList<>()).add(h.pid());
        });
        if (!nodes.isEmpty()) roles.put("storage-nodes", nodes);
        return roles;
    }

    /**
     * For a --target on this machine: the gateway listening on its port and, when a launcher (./basalt dev) started
     * it, every process under that launcher. Empty for anything else.
     */
    static Map<String, List<Long>> basaltBehind(URI endpoint) {
        String host = endpoint.getHost();
        if (host == null || !(host.equals("127.0.0.1") || host.equals("localhost"))) return Map.of();
        String listen = "--listen 127.0.0.1:" + endpoint.getPort() + " ";
        for (long pid : pids()) {
            String cmd = ProcStat.cmdline(pid);
            if (!cmd.contains("io.basalt.gateway.GatewayMain") || !cmd.contains(listen)) continue;
            Optional<ProcessHandle> parent = ProcessHandle.of(pid).flatMap(ProcessHandle::parent);
            if (parent.isPresent() && ProcStat.cmdline(parent.get().pid()).contains("basalt dev")) {
                return basaltRoles(parent.get());
            }
            return Map.of("gateway", List.of(pid));
        }
        return Map.of();
    }

    /** The data dirs storage-node processes were started with (their {@code --data DIR[,DIR]}), for the footprint. */
    static List<Path> dataDirs(List<Long> storageNodes) {
        List<Path> dirs = new ArrayList<>();
        for (long pid : storageNodes)
            dirs.addAll(StorageNodeCommand.parse(ProcStat.cmdline(pid)).dataDirs());
        return dirs;
    }

    /**
     * --target-procs: each pattern is a role, with the pids of this user's processes whose command line contains it
     * (the bench itself and its ancestors, whose command lines name the patterns, excluded).
     */
    static Map<String, List<Long>> byPatterns(List<String> patterns) {
        Set<Long> self = new HashSet<>();
        for (Optional<ProcessHandle> h = Optional.of(ProcessHandle.current());
                h.isPresent();
                h = h.get().parent()) self.add(h.get().pid());
        Object uid = uid(Path.of("/proc/self"));
        Map<String, List<Long>> roles = new LinkedHashMap<>();
        for (String p : patterns) roles.put(p, new ArrayList<>());
        for (long pid : pids()) {
            if (self.contains(pid) || !uid.equals(uid(Path.of("/proc/" + pid)))) continue;
            String cmd = ProcStat.cmdline(pid);
            for (String p : patterns) {
                if (!cmd.isEmpty() && cmd.contains(p)) {
                    roles.get(p).add(pid);
                    break;
                }
            }
        }
        return roles;
    }

    private static Object uid(Path proc) {
        try {
            return Files.getAttribute(proc, "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static List<Long> pids() {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : d) out.add(Long.parseLong(p.getFileName().toString()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        out.sort(null);
        return out;
    }
}
