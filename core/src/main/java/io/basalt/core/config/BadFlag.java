package io.basalt.core.config;

/**
 * A service flag with a bad or missing value. It names the flag, so a value that came from a host config
 * file can be reported as that file's key ({@link ServiceArgs#explain}) rather than as a flag the operator
 * never typed.
 */
public final class BadFlag extends IllegalArgumentException {

    private final String flag;
    private final String problem;

    /** @param problem what is wrong, phrased to follow the flag's name: "must be HOST:PORT, got x" */
    public BadFlag(String flag, String problem) {
        super("--" + flag + " " + problem);
        this.flag = flag;
        this.problem = problem;
    }

    public static BadFlag missing(String flag) {
        return new BadFlag(flag, "is required");
    }

    /** The flag's name without its dashes. */
    public String flag() {
        return flag;
    }

    public String problem() {
        return problem;
    }
}
