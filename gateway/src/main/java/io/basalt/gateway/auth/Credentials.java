package io.basalt.gateway.auth;

import java.util.Map;
import java.util.Optional;

/**
 * The root key (all permissions), from BASALT_ACCESS_KEY / BASALT_SECRET_KEY; minioadmin/minioadmin,
 * as Milvus expects, when they are unset (see {@link #isWellKnown}).
 */
public record Credentials(Map<String, String> secrets) implements KeyRing {

    /** The secret every MinIO tutorial and Milvus chart carries: anyone may try it. */
    public static final String WELL_KNOWN_SECRET = "minioadmin";

    public static Credentials single(String accessKey, String secretKey) {
        return new Credentials(Map.of(accessKey, secretKey));
    }

    @Override
    public Optional<String> secretFor(String accessKey) {
        return Optional.ofNullable(secrets.get(accessKey));
    }

    public boolean isRoot(String accessKey) {
        return secrets.containsKey(accessKey);
    }

    /** Whether a root secret is the published default, which must not guard a gateway others can reach. */
    public boolean isWellKnown() {
        return secrets.containsValue(WELL_KNOWN_SECRET);
    }
}
