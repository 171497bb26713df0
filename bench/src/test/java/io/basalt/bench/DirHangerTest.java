package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which dir the hung-dir phase may hang; hanging one for real is storage-node's DiskFailureTest's job. */
class DirHangerTest {
    private static final List<Path> BENCH =
            List.of(Path.of("/r/.basalt/bench/node-1"), Path.of("/r/.basalt/bench/node-6"));

    @Test
    void theNodesLastDirUnderTheBenchsOwnData() {
        StorageNodeCommand two = StorageNodeCommand.parse(
                "java --id node-6 --data /r/.basalt/bench/node-6/d1,/r/.basalt/bench/node-6/d2");
        assertEquals(Path.of("/r/.basalt/bench/node-6/d2"), DirHanger.choose(two, BENCH));
        StorageNodeCommand one = StorageNodeCommand.parse("java --id node-6 --data /r/.basalt/bench/node-6");
        assertEquals(Path.of("/r/.basalt/bench/node-6"), DirHanger.choose(one, BENCH));
    }

    @Test
    void skipsADirOutsideTheBenchsDataAndRefusesWhenNoneIsInside() {
        StorageNodeCommand mixed =
                StorageNodeCommand.parse("java --id node-6 --data /r/.basalt/bench/node-6/d1,/mnt/nvme1");
        assertEquals(Path.of("/r/.basalt/bench/node-6/d1"), DirHanger.choose(mixed, BENCH));
        StorageNodeCommand elsewhere =
                StorageNodeCommand.parse("java --id node-6 --data /mnt/nvme0,/r/.basalt/bench/../x");
        assertThrows(IllegalStateException.class, () -> DirHanger.choose(elsewhere, BENCH));
    }
}
