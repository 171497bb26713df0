package io.basalt.gateway.auth;

import java.util.Map;
import java.util.Optional;

/** Access keys and their secrets. One pair by default (minioadmin/minioadmin, as Milvus expects). */
public record Credentials(Map<String, String> secrets) {

    public static Credentials single(String accessKey, String secretKey) {
        return new Credentials(Map.of(accessKey, secretKey));
    }

    public Optional<String> secretFor(String accessKey) {
        return Optional.ofNullable(secrets.get(accessKey));
    }
}
