package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class StorageNodeCommandTest {
    @Test
    void idDirsAndMetricsAddressOfALauncherStartedNode() {
        StorageNodeCommand c = StorageNodeCommand.parse("/jdk/bin/java -Xmx512m -cp a.jar:lib/* "
                + StorageNodeCommand.MAIN_CLASS
                + " --id node-6 --listen 127.0.0.1:19086 --data /b/node-6/d1,/b/node-6/d2"
                + " --metrics-listen 127.0.0.1:19107 --etcd http://127.0.0.1:19079 ");
        assertEquals("node-6", c.id());
        assertEquals(List.of(Path.of("/b/node-6/d1"), Path.of("/b/node-6/d2")), c.dataDirs());
        assertEquals("127.0.0.1:19107", c.metricsListen());
    }

    @Test
    void oneDirAndNothingElse() {
        StorageNodeCommand c = StorageNodeCommand.parse("java Main --data /b/node-1");
        assertEquals("?", c.id());
        assertEquals(List.of(Path.of("/b/node-1")), c.dataDirs());
        assertNull(c.metricsListen());
    }
}
