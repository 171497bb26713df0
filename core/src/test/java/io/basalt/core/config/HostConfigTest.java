package io.basalt.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a host config file may say; each refusal names the file and the key. */
class HostConfigTest {

    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        return Files.writeString(dir.resolve("basalt.properties"), String.join("\n", lines) + "\n");
    }

    private String refusal(String... lines) throws IOException {
        Path f = file(lines);
        return assertThrows(IllegalArgumentException.class, () -> HostConfig.load(f))
                .getMessage()
                .replace(f.toString(), "FILE");
    }

    @Test
    void loadsRolesAndKeys() throws IOException {
        HostConfig c = HostConfig.load(file(
                "roles = coordinator,storage-node",
                "etcd = https://a:2379",
                "coordinator.id = c1",
                "storage-node.id=n1"));
        assertEquals(List.of("coordinator", "storage-node"), c.roles());
        assertEquals(Map.of("etcd", "https://a:2379"), c.shared());
        assertEquals("n1", c.keys().get("storage-node.id"));
    }

    @Test
    void refusesWhatItDoesNotKnow() throws IOException {
        assertEquals("FILE: roles is required (any of gateway, storage-node, coordinator)", refusal("etcd=http://e"));
        assertEquals(
                "FILE: roles names 'gatway', not one of [gateway, storage-node, coordinator]", refusal("roles=gatway"));
        assertEquals("FILE: roles names gateway twice", refusal("roles=gateway, gateway"));
        assertEquals(
                "FILE: unknown key zone (keys are roles, etcd, etcd-prefix, cluster-tls and <role>.<flag> for the"
                        + " roles [gateway, storage-node, coordinator])",
                refusal("roles=gateway", "zone=a"));
        assertEquals(
                "FILE: unknown key gatway.listen (keys are roles, etcd, etcd-prefix, cluster-tls and <role>.<flag> for"
                        + " the roles [gateway, storage-node, coordinator])",
                refusal("roles=gateway", "gatway.listen=0.0.0.0:9000"));
        assertEquals(
                "FILE: storage-node.data is set but roles (gateway) does not name storage-node",
                refusal("roles=gateway", "storage-node.data=/srv/d1"));
        assertEquals("FILE: gateway.domain has no value", refusal("roles=gateway", "gateway.domain="));
    }

    @Test
    void refusesASecretWithoutRepeatingIt() throws IOException {
        String m = refusal("roles=gateway", "gateway.secret-key=hunter2hunter2");
        assertEquals(true, m.startsWith("FILE: gateway.secret-key: secrets never go in the config file"), m);
        assertEquals(false, m.contains("hunter2"), m);
    }
}
