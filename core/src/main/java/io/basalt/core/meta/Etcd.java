package io.basalt.core.meta;

import io.etcd.jetcd.Client;

import java.time.Duration;
import java.util.List;

/** Builds jetcd clients with the settings every Basalt process uses. */
public final class Etcd {

    private Etcd() {
    }

    public static Client connect(List<String> endpoints) {
        return Client.builder()
                .endpoints(endpoints.toArray(String[]::new))
                .connectTimeout(Duration.ofSeconds(5))
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(5))
                .build();
    }

    public static List<String> parseEndpoints(String csv) {
        return List.of(csv.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
