package io.basalt.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The Basalt release this code is, as the build stamped it (the Maven project version, which is also the
 * release package's VERSION): what a storage node advertises in its etcd record, so that {@code basalt admin
 * status} shows which release runs where during a rolling upgrade.
 */
public final class Release {

    private static final String VERSION = load();

    private Release() {}

    /** For example {@code 0.2.0} or {@code 0.2.0-SNAPSHOT}. */
    public static String version() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = Release.class.getResourceAsStream("release.properties")) {
            if (in == null) throw new IllegalStateException("release.properties missing: a build without core/pom.xml");
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "");
            if (v.isEmpty() || v.startsWith("${"))
                throw new IllegalStateException("release.properties was not filtered by the build: " + v);
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
