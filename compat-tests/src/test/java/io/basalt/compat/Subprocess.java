package io.basalt.compat;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a client program as a child process and captures what it prints. */
final class Subprocess {

    record Result(List<String> command, int exit, String output) {

        /** Fails the test, with the command and everything it printed, unless it exited 0. */
        Result assertSuccess() {
            if (exit != 0) {
                fail("`" + String.join(" ", command) + "` exited " + exit + "; its output:\n" + output);
            }
            return this;
        }

        /** Fails the test unless it exited non-zero and printed {@code expected}. */
        Result assertFailureContaining(String expected) {
            if (exit == 0 || !output.contains(expected)) {
                fail("expected `" + String.join(" ", command) + "` to fail with '" + expected + "', it exited " + exit
                        + "; its output:\n" + output);
            }
            return this;
        }
    }

    /** A value in {@code env} that removes the variable from the child's environment. */
    static final String UNSET = "\u0000unset";

    private Subprocess() {}

    /**
     * Runs {@code command} with {@code env} added to this process's environment, stdout and
     * stderr merged into one captured stream, and kills it (by its own handle) after {@code timeout}.
     */
    static Result run(List<String> command, Map<String, String> env, Path workDir, Duration timeout)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile(workDir, "out-", ".log");
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        env.forEach((k, v) -> {
            if (v.equals(UNSET)) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        Process p = pb.start();
        boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (!done) text += "\n[killed after " + timeout + "]";
        System.out.println("$ " + String.join(" ", command) + "\n" + text);
        return new Result(command, done ? p.exitValue() : -1, text);
    }

    /** Fails with a clear message naming the Debian package when a client program is missing. */
    static void requireExecutable(String path, String debianPackage) {
        if (!Files.isExecutable(Path.of(path))) {
            fail(path + " is missing: install Debian's " + debianPackage + " (apt-get install " + debianPackage
                    + "; ./basalt test does this)");
        }
    }

    /** Fails with a clear message naming the Debian package when a file or directory a client needs is missing. */
    static void requirePath(String path, String debianPackage) {
        if (!Files.exists(Path.of(path))) {
            fail(path + " is missing: install Debian's " + debianPackage + " (apt-get install " + debianPackage
                    + "; ./basalt test does this)");
        }
    }
}
