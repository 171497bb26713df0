package io.basalt.core.config;

import java.util.Set;

/**
 * The flags a service's Main takes: those with a value and switches (no value). A host config file's key
 * {@code <role>.<flag>} is one of them, so a new flag is a config key with no code of its own.
 */
public record ServiceFlags(String role, Set<String> values, Set<String> switches) {

    public ServiceFlags {
        values = Set.copyOf(values);
        switches = Set.copyOf(switches);
    }

    public boolean knows(String flag) {
        return values.contains(flag) || switches.contains(flag);
    }
}
