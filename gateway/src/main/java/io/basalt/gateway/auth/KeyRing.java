package io.basalt.gateway.auth;

import java.util.Optional;

/** Where SigV4 finds the secret of the access key a request names. */
@FunctionalInterface
public interface KeyRing {

    /** The key's secret; empty when no such key exists (or it cannot be used here). */
    Optional<String> secretFor(String accessKeyId);
}
