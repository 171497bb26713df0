package io.basalt.gateway.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SigV4 signing keys, derived once per access key and scope (date, region, service) rather than
 * with four HMACs on every request. A plain map cleared when full: a day and a region make one
 * entry per access key, and scopes a client makes up cost a recomputation, never memory.
 */
final class SigningKeys {

    private static final int MAX_ENTRIES = 256;

    private record Scope(String accessKey, String secret, String date, String region, String service) {}

    private final Map<Scope, byte[]> keys = new ConcurrentHashMap<>();

    byte[] get(String accessKey, String secret, String date, String region, String service) {
        Scope scope = new Scope(accessKey, secret, date, region, service);
        byte[] key = keys.get(scope);
        if (key != null) return key;
        if (keys.size() >= MAX_ENTRIES) keys.clear();
        key = SigV4.signingKey(secret, date, region, service);
        keys.put(scope, key);
        return key;
    }
}
