package io.basalt.core.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One host's config file ({@code /etc/basalt/basalt.properties}): the roles the host runs and each role's flags.
 *
 * <ul>
 *   <li>{@code roles = gateway, storage-node, coordinator}: the services this host runs (at least one);
 *   <li>{@code etcd}, {@code etcd-prefix}, {@code cluster-tls}: flags every role takes, set once for the host;
 *   <li>{@code <role>.<flag> = value}: that role's {@code --<flag> value} (a switch takes true or false), which
 *       also overrides a host-wide key of the same flag.
 * </ul>
 *
 * A key of no known shape, of a role the host does not run, or (checked by that role's service) of a flag the
 * role does not have is refused, as is an empty value. Secrets never go in this file: their flags name files.
 */
public record HostConfig(Path file, List<String> roles, Map<String, String> keys) {

    public static final List<String> ROLES = List.of("gateway", "storage-node", "coordinator");
    /** Keys without a role: flags with one meaning for every role on the host. */
    public static final List<String> SHARED = List.of("etcd", "etcd-prefix", "cluster-tls");

    public HostConfig {
        roles = List.copyOf(roles);
        keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    /** Reads and checks {@code file}; IllegalArgumentException naming the file and the key or line. */
    public static HostConfig load(Path file) {
        Map<String, String> keys = PropertiesFile.read(file);
        String where = file + ": ";
        String listed = keys.get("roles");
        if (listed == null || listed.isBlank()) {
            throw new IllegalArgumentException(where + "roles is required (any of " + String.join(", ", ROLES) + ")");
        }
        List<String> roles = new ArrayList<>();
        for (String r : listed.split(",")) {
            String role = r.strip();
            if (!ROLES.contains(role)) {
                throw new IllegalArgumentException(where + "roles names '" + role + "', not one of " + ROLES);
            }
            if (roles.contains(role)) throw new IllegalArgumentException(where + "roles names " + role + " twice");
            roles.add(role);
        }
        for (Map.Entry<String, String> e : keys.entrySet()) {
            String key = e.getKey();
            if (key.equals("roles")) continue;
            if (key.contains("secret")) {
                throw new IllegalArgumentException(where + key + ": secrets never go in the config file (every"
                        + " reader of it would hold them); give gateway.credentials a file of access-key and"
                        + " secret-key lines, readable by the basalt user only");
            }
            if (e.getValue().isEmpty()) throw new IllegalArgumentException(where + key + " has no value");
            if (SHARED.contains(key)) continue;
            int dot = key.indexOf('.');
            String role = dot < 0 ? key : key.substring(0, dot);
            if (dot < 0 || !ROLES.contains(role)) {
                throw new IllegalArgumentException(where + "unknown key " + key + " (keys are roles, "
                        + String.join(", ", SHARED) + " and <role>.<flag> for the roles " + ROLES + ")");
            }
            if (!roles.contains(role)) {
                throw new IllegalArgumentException(
                        where + key + " is set but roles (" + listed + ") does not name " + role);
            }
        }
        return new HostConfig(file, roles, keys);
    }

    /**
     * The flags this file gives {@code service}, each with the key it came from (flag -> key, value).
     *
     * @throws IllegalArgumentException when the host does not run the role, a key names a flag the service does
     *     not have, or a switch is neither true nor false
     */
    public Map<String, Setting> flagsFor(ServiceFlags service) {
        String role = service.role();
        if (!roles.contains(role)) {
            throw new IllegalArgumentException(file + ": roles (" + String.join(", ", roles) + ") does not name " + role
                    + ": this host does not run it");
        }
        Map<String, Setting> flags = new LinkedHashMap<>();
        for (String shared : SHARED) {
            if (keys.containsKey(shared) && service.knows(shared))
                flags.put(shared, new Setting(shared, keys.get(shared)));
        }
        String prefix = role + ".";
        for (Map.Entry<String, String> e : keys.entrySet()) {
            if (!e.getKey().startsWith(prefix)) continue;
            String flag = e.getKey().substring(prefix.length());
            if (!service.knows(flag)) {
                throw new IllegalArgumentException(file + ": unknown key " + e.getKey() + " (" + role + " takes "
                        + String.join(
                                ", ",
                                new TreeSet<>(allOf(service))
                                        .stream().map(f -> prefix + f).toList())
                        + ")");
            }
            if (service.switches().contains(flag)) {
                if (!e.getValue().equals("true") && !e.getValue().equals("false")) {
                    throw new IllegalArgumentException(
                            file + ": " + e.getKey() + " takes true or false, got " + e.getValue());
                }
            }
            flags.put(flag, new Setting(e.getKey(), e.getValue()));
        }
        return flags;
    }

    /** The host-wide keys ({@link #SHARED}) this file sets: what a client such as {@code basalt admin} needs. */
    public Map<String, String> shared() {
        Map<String, String> shared = new LinkedHashMap<>();
        for (String key : SHARED) if (keys.containsKey(key)) shared.put(key, keys.get(key));
        return shared;
    }

    private static List<String> allOf(ServiceFlags service) {
        List<String> all = new ArrayList<>(service.values());
        all.addAll(service.switches());
        return all;
    }

    /** A flag's value and the key of the file that set it. */
    public record Setting(String key, String value) {}
}
