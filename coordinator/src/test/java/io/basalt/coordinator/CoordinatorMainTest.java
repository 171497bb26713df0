package io.basalt.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.core.config.BadFlag;
import io.basalt.core.config.ServiceArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorMainTest {

    private static final String[] REQUIRED = {"--id", "c1", "--etcd", "http://e:2379", "--cluster-tls", "none"};

    private static String[] with(String... more) {
        return java.util.stream.Stream.concat(List.of(REQUIRED).stream(), List.of(more).stream())
                .toArray(String[]::new);
    }

    @Test
    void everyFlagOfTheConfigKeysIsOneTheParserTakes() {
        // "1" fits every flag's type; a flag in FLAGS without its case would throw IllegalStateException
        for (String flag : CoordinatorMain.FLAGS.values()) {
            CoordinatorMain.parse(with("--" + flag, flag.equals("cluster-tls") ? "none" : "1"));
        }
        assertEquals(
                "unknown flag --heal-grace",
                assertThrows(IllegalArgumentException.class, () -> CoordinatorMain.parse(with("--heal-grace", "1")))
                        .getMessage());
    }

    @Test
    void aBadValueNamesItsFlag() {
        BadFlag e = assertThrows(BadFlag.class, () -> CoordinatorMain.parse(with("--heal-grace-seconds", "10m")));
        assertEquals("heal-grace-seconds", e.flag());
        assertEquals("--heal-grace-seconds must be an integer, got 10m", e.getMessage());
        assertEquals(
                "--id is required",
                assertThrows(BadFlag.class, () -> CoordinatorMain.parse(new String[0]))
                        .getMessage());
    }

    @Test
    void takesItsFlagsFromAHostConfigFile(@TempDir Path dir) throws IOException {
        Path config = Files.writeString(dir.resolve("basalt.properties"), """
                roles = coordinator
                etcd = https://10.77.1.2:2379
                cluster-tls = /etc/basalt/tls
                coordinator.id = coordinator-1
                coordinator.heal-grace-seconds = 600
                coordinator.metrics-listen = 0.0.0.0:9092
                """);
        Coordinator.Config c = ServiceArgs.parse(
                CoordinatorMain.FLAGS, new String[] {"--config", config.toString()}, CoordinatorMain::parse);
        assertEquals("coordinator-1", c.id());
        assertEquals(Duration.ofSeconds(600), c.healGrace());
        assertEquals(List.of("https://10.77.1.2:2379"), c.etcdEndpoints());
        Path noId = Files.writeString(dir.resolve("no-id.properties"), "roles=coordinator\ncluster-tls=none\n");
        assertEquals(
                noId + ": coordinator.id is required (or --id)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ServiceArgs.parse(
                                        CoordinatorMain.FLAGS,
                                        new String[] {"--config", noId.toString()},
                                        CoordinatorMain::parse))
                        .getMessage());
    }
}
