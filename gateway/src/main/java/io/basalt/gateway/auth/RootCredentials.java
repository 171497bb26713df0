package io.basalt.gateway.auth;

import io.basalt.core.config.BadFlag;
import io.basalt.core.config.PropertiesFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Where the gateway's root key comes from, never the command line: a credentials file ({@code --credentials},
 * {@code access-key=} and {@code secret-key=} lines, the format of the Kubernetes overlay's credentials.env),
 * else BASALT_ACCESS_KEY / BASALT_SECRET_KEY, else minioadmin/minioadmin. {@code --access-key} (an id, not a
 * secret) overrides the access key of either.
 */
public final class RootCredentials {

    private static final Set<String> FILE_KEYS = Set.of("access-key", "secret-key");

    private RootCredentials() {}

    public static Credentials of(String accessKeyFlag, Path file, UnaryOperator<String> env) {
        String access;
        String secret;
        if (file != null) {
            Map<String, String> keys = read(file);
            access = keys.get("access-key");
            secret = keys.get("secret-key");
        } else {
            access = orDefault(env.apply("BASALT_ACCESS_KEY"));
            secret = orDefault(env.apply("BASALT_SECRET_KEY"));
        }
        return Credentials.single(accessKeyFlag != null ? accessKeyFlag : access, secret);
    }

    private static Map<String, String> read(Path file) {
        refuseIfEveryoneReads(file);
        Map<String, String> keys;
        try {
            keys = PropertiesFile.read(file);
        } catch (IllegalArgumentException e) { // its message names the line, never its text
            throw new BadFlag("credentials", "names an unusable file: " + e.getMessage());
        }
        for (String key : keys.keySet()) {
            if (!FILE_KEYS.contains(key)) {
                throw new BadFlag("credentials", file + " has the unknown key " + key + " (access-key, secret-key)");
            }
        }
        for (String key : FILE_KEYS) {
            if (keys.getOrDefault(key, "").isEmpty()) throw new BadFlag("credentials", file + " lacks " + key);
        }
        return keys;
    }

    // as ssh does with a private key: a secret every local user can read is not one
    private static void refuseIfEveryoneReads(Path file) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.contains(PosixFilePermission.OTHERS_READ)) {
                throw new BadFlag(
                        "credentials",
                        file + " is readable by every user (" + PosixFilePermissions.toString(mode)
                                + "): chmod 640 it, owned by root and the group the gateway runs as");
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw new BadFlag("credentials", "cannot read " + file + ": " + e);
        }
    }

    private static String orDefault(String v) {
        return v == null || v.isEmpty() ? "minioadmin" : v;
    }
}
