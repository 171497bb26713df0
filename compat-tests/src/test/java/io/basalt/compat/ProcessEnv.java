package io.basalt.compat;

import java.util.Map;

/** Environment adjustments for client subprocesses. */
final class ProcessEnv {

    private ProcessEnv() {}

    /** Marks variables to be removed from the child's environment (see {@link Subprocess#run}). */
    static void clear(Map<String, String> env, String... names) {
        for (String n : names) env.put(n, Subprocess.UNSET);
    }
}
