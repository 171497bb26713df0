package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.core.config.PropertiesFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The release before this tree, as {@code deploy/upgrade/previous-release.properties} names it (a commit of this
 * repository and its version), and its release package, built from that commit's own tree by its own {@code
 * ./basalt package} with the running build's local repository: offline first (the previous release's
 * dependencies are usually this tree's, already there), then online if that fails.
 */
record PreviousRelease(String commit, String version) {

    static final Path FILE = ThreeHostCluster.ROOT.resolve("deploy/upgrade/previous-release.properties");
    private static final Pattern PROJECT_VERSION = Pattern.compile("(?m)^  <version>([^<]+)</version>");

    static PreviousRelease load() {
        Map<String, String> p = PropertiesFile.read(FILE);
        return new PreviousRelease(p.getOrDefault("commit", ""), p.getOrDefault("version", ""));
    }

    /** git in the repository; its exit status and output. */
    static BareMetalTest.Run git(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("git", "-C", ThreeHostCluster.ROOT.toString()));
        command.addAll(List.of(args));
        return BareMetalTest.run(new ProcessBuilder(command).redirectErrorStream(true));
    }

    /** The project version in the root pom.xml of the commit. */
    String pomVersion() throws Exception {
        BareMetalTest.Run pom = git("show", commit + ":pom.xml");
        assertEquals(0, pom.status(), "git show " + commit + ":pom.xml: " + pom.output());
        Matcher m = PROJECT_VERSION.matcher(pom.output());
        assertTrue(m.find(), "no project version in the commit's pom.xml");
        return m.group(1);
    }

    /**
     * The release package of the commit: {@code cache/<commit>/basalt-<version>.tar.gz}, built there once (a
     * few minutes: the services' full build) and reused while the file is there.
     */
    Path buildPackage(Path cache) throws Exception {
        Path out = cache.resolve(commit);
        Path archive = out.resolve("basalt-" + version + ".tar.gz");
        if (Files.exists(archive)) return archive;
        Files.createDirectories(cache);
        Path src = Files.createTempDirectory(cache, "src-");
        Path log = cache.resolve(commit + ".log");
        try {
            Path tar = src.resolve("tree.tar");
            BareMetalTest.Run export = git("archive", "--format=tar", "-o", tar.toString(), commit);
            assertEquals(0, export.status(), "git archive " + commit + ": " + export.output());
            Path tree = Files.createDirectories(src.resolve("tree"));
            BareMetalTest.Run untar = BareMetalTest.run(tree, List.of("tar", "-xf", tar.toString()));
            assertEquals(0, untar.status(), untar.output());

            // the commit's time, as ./basalt package takes it in a clone: the same bytes as that release's package
            String epoch = git("show", "-s", "--format=%ct", commit).output().strip();
            int status = pack(tree, out, epoch, mavenArgs(true), log);
            if (status != 0) status = pack(tree, out, epoch, mavenArgs(false), log);
            assertEquals(
                    0, status, "./basalt package of " + commit + ": " + Files.readString(log, StandardCharsets.UTF_8));
            assertTrue(Files.exists(archive), "the package is " + archive.getFileName() + ": " + Files.readString(log));
            return archive;
        } finally {
            deleteTree(src);
        }
    }

    /** Runs the tree's {@code ./basalt package --out out}, appending to {@code log}; its exit status. */
    private static int pack(Path tree, Path out, String epoch, String mavenArgs, Path log) throws Exception {
        Files.writeString(
                log,
                "./basalt package with MAVEN_ARGS=" + mavenArgs + "\n",
                StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(
                        "bash", tree.resolve("basalt").toString(), "package", "--out", out.toString())
                .directory(tree.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("MAVEN_ARGS", mavenArgs);
        pb.environment().put("SOURCE_DATE_EPOCH", epoch);
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("./basalt package in " + tree + " still running after 30 min; " + log);
        }
        return p.exitValue();
    }

    /** The running build's local repository (deploy/pom.xml passes it) and, if asked, offline, for Maven. */
    private static String mavenArgs(boolean offline) {
        List<String> args = new ArrayList<>();
        String repo = System.getProperty("basalt.maven.repo.local", "");
        if (!repo.isEmpty() && !repo.startsWith("${")) args.add("-Dmaven.repo.local=" + repo);
        if (offline) args.add("-o");
        return String.join(" ", args);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}
