package io.basalt.chaos;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The command line of a Basalt service run from the repository's build, as {@code deploy/services.properties}
 * says: the file ./basalt and the container entrypoint read too, so the chaos cluster runs each service with
 * the heap and options it gets everywhere else, and from whatever version Maven last packaged.
 */
public final class ServiceCommand {

    /** Where the file is, from the repository root. */
    public static final String FILE = "deploy/services.properties";

    private final Path root;
    private final Properties props = new Properties();

    private ServiceCommand(Path root) throws IOException {
        this.root = root;
        try (Reader in = Files.newBufferedReader(root.resolve(FILE), StandardCharsets.UTF_8)) {
            props.load(in);
        }
    }

    public static ServiceCommand load(Path root) {
        try {
            return new ServiceCommand(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + root.resolve(FILE), e);
        }
    }

    /**
     * {@code java}, the JVM options of {@code service} (gateway, storage-node, coordinator, admin) with those of
     * {@code place} (e.g. chaos; null for none), its classpath and main class: the caller appends the flags.
     */
    public List<String> java(Path javaBin, String service, String place) {
        List<String> cmd = new ArrayList<>(List.of(javaBin.toString()));
        cmd.addAll(words("jvm.always"));
        cmd.addAll(words("jvm.vector"));
        if (Runtime.version().feature() >= 23) cmd.addAll(words("jvm.always.jdk23"));
        cmd.addAll(words("jvm.defaults"));
        if (place != null) cmd.addAll(words(place + ".jvm"));
        cmd.add("-Xmx" + required(service + ".heap"));
        cmd.addAll(words(service + ".jvm"));
        cmd.add("-cp");
        cmd.add(classpath(service));
        cmd.add(required(service + ".main"));
        return cmd;
    }

    /** The service's jar and its module's target/lib. */
    public String classpath(String service) {
        String module = required(service + ".module");
        return jar(module) + ":" + root.resolve(module).resolve("target/lib") + "/*";
    }

    /** Throws, naming what to build, unless the service's jar and target/lib are there. */
    public void requirePackaged(String service) {
        String module = required(service + ".module");
        jar(module);
        if (!Files.isDirectory(root.resolve(module).resolve("target/lib"))) {
            throw new IllegalStateException(
                    module + "/target/lib is missing (build with ./mvnw -B package -DskipTests)");
        }
    }

    /**
     * The module's packaged jar, basalt-MODULE-VERSION.jar: the version is Maven's, so it is found by name, and
     * the newest wins when an older version's jar is still in target/ (its -tests.jar is never it).
     */
    Path jar(String module) {
        Path target = root.resolve(module).resolve("target");
        Path newest = null;
        FileTime newestTime = null;
        if (Files.isDirectory(target)) {
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, "basalt-" + module + "-*.jar")) {
                for (Path j : jars) {
                    if (j.getFileName().toString().endsWith("-tests.jar") || !Files.isRegularFile(j)) continue;
                    FileTime t = Files.getLastModifiedTime(j);
                    if (newest == null || t.compareTo(newestTime) > 0) {
                        newest = j;
                        newestTime = t;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (newest == null) {
            throw new IllegalStateException(module + " is not packaged: no "
                    + target.resolve("basalt-" + module + "-*.jar") + " (build with ./mvnw -B package -DskipTests)");
        }
        return newest;
    }

    private String required(String key) {
        String v = props.getProperty(key);
        if (v == null || v.isBlank()) throw new IllegalStateException(root.resolve(FILE) + " has no " + key);
        return v.trim();
    }

    private List<String> words(String key) {
        String v = props.getProperty(key, "").trim();
        return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
    }
}
