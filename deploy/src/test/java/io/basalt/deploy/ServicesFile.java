package io.basalt.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** deploy/services.properties: each service's module, main class, heap and JVM options, as every launcher reads them. */
final class ServicesFile {

    /** From the deploy module's directory, where its tests run. */
    static final Path PATH = Path.of("services.properties");

    private final Properties props = new Properties();

    private ServicesFile() {
        try (Reader in = Files.newBufferedReader(PATH, StandardCharsets.UTF_8)) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ServicesFile load() {
        return new ServicesFile();
    }

    /** The value of {@code key}, null when absent. */
    String get(String key) {
        return props.getProperty(key);
    }
}
