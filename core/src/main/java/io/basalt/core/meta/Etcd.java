package io.basalt.core.meta;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Builds jetcd clients with the settings every Basalt process uses, and the two helpers every etcd call wants. */
public final class Etcd {

    private Etcd() {}

    public static Client connect(List<String> endpoints) {
        return Client.builder()
                .endpoints(endpoints.toArray(String[]::new))
                .connectTimeout(Duration.ofSeconds(5))
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(5))
                .build();
    }

    public static List<String> parseEndpoints(String csv) {
        return List.of(csv.split(",")).stream()
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    /** A key or value as etcd bytes (UTF-8). */
    public static ByteSequence bs(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** Waits up to 10 s for an etcd call; any failure becomes an IllegalStateException naming etcd. */
    public static <T> T await(CompletableFuture<T> f) {
        return await(f, Duration.ofSeconds(10));
    }

    /** {@link #await(CompletableFuture)}, waiting up to {@code timeout}. */
    public static <T> T await(CompletableFuture<T> f, Duration timeout) {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("etcd: " + e.getMessage(), e);
        }
    }
}
