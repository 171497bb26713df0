package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MountTableTest {
    private static final String INFO = String.join(
            "\n",
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "80 22 0:45 / /work/b/node-6/d2 rw,nosuid,nodev,relatime shared:40 - fuse basalt-hung rw,user_id=0,group_id=0",
            "81 22 0:46 / /tmp/with\\040space rw,relatime - tmpfs tmpfs rw,size=8192k",
            "82 80 0:47 / /work/b/node-6/d2 rw,relatime - tmpfs top rw",
            "");

    @Test
    void findsAMountPointByItsFifthFieldAndNamesItsSource() {
        assertTrue(MountTable.isMountPoint(INFO, Path.of("/work/b/node-6/d2")));
        assertEquals("top", MountTable.source(INFO, Path.of("/work/b/node-6/d2")), "the topmost mount there");
        assertEquals("tmpfs", MountTable.source(INFO, Path.of("/tmp/with space")));
        assertFalse(MountTable.isMountPoint(INFO, Path.of("/work/b/node-6/d1")));
        assertFalse(MountTable.isMountPoint(INFO, Path.of("/work/b/node-6")), "a parent of a mount point is not one");
        assertNull(MountTable.source(INFO, Path.of("/tmp/with")));
    }

    @Test
    void pathsAreComparedNormalized() {
        assertTrue(MountTable.isMountPoint(INFO, Path.of("/work/b/node-6/./d2/")));
    }

    @Test
    void unescapesTheKernelsOctalEscapesOnly() {
        assertEquals("a b\tc\\d", MountTable.unescape("a\\040b\\011c\\134d"));
        assertEquals("a\\9z", MountTable.unescape("a\\9z"));
        assertEquals("end\\04", MountTable.unescape("end\\04"));
    }
}
