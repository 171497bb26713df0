package io.basalt.compat;

import io.basalt.gateway.TestCluster;
import java.nio.file.Path;

/** The cluster every client here runs against: the gateway tests' {@link TestCluster}, shaped as deployed. */
final class CompatCluster {

    private CompatCluster() {}

    /**
     * Six storage nodes, 4 data + 2 parity shards, and the gateway's default 30 s shard I/O timeout rather than
     * the gateway tests' 10 s: the CLI and SDK transfers here move hundreds of MiB with many parts at once.
     */
    static TestCluster start(Path dir) throws Exception {
        return new TestCluster(dir, 6, 4, 2, gateway -> gateway.withIoTimeoutMs(30_000));
    }
}
