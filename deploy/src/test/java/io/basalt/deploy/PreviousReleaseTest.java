package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The default suite's part of the rolling-upgrade test ({@link RollingUpgradeTest}, behind {@code
 * -Dbasalt.upgrade=true}): the previous release it upgrades from is a commit this repository holds, of the
 * version the file says, and not this tree's version (old and new must be told apart where they run).
 */
class PreviousReleaseTest {

    @Test
    void previousReleaseNamesAReachableCommitOfAnotherVersion() throws Exception {
        Assumptions.assumeTrue(BareMetalTest.onPath("git"), "no git");
        Assumptions.assumeTrue(
                Files.exists(ThreeHostCluster.ROOT.resolve(".git")),
                "not a git checkout: the commit cannot be looked up");
        PreviousRelease previous = PreviousRelease.load();
        assertTrue(previous.commit().matches("[0-9a-f]{40}"), "a full commit id: " + previous);
        BareMetalTest.Run found = PreviousRelease.git("cat-file", "-e", previous.commit() + "^{commit}");
        assertEquals(
                0,
                found.status(),
                "the repository holds " + previous.commit() + " (a clone with its history; not shallow): "
                        + found.output());
        BareMetalTest.Run ancestor = PreviousRelease.git("merge-base", "--is-ancestor", previous.commit(), "HEAD");
        assertEquals(0, ancestor.status(), "the previous release is an ancestor of this tree: " + ancestor.output());
        assertEquals(previous.pomVersion(), previous.version(), "the file's version is the commit's project version");
        assertNotEquals(
                io.basalt.core.Release.version(), previous.version(), "this tree's version differs from the previous");
    }
}
