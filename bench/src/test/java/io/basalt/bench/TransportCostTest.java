package io.basalt.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every connection carries every byte (each receiver checks its count and fails the measurement otherwise). The
 * BoringSSL rung needs netty-tcnative's native library, which the build ships for Linux on amd64 (as
 * ClusterTlsTest checks), where this runs.
 */
class TransportCostTest {
    @Test
    void everyRungMovesEveryByteAndCostsSomething(@TempDir Path dir) throws Exception {
        long total = 64L << 20;
        try (ThrowawayTls t = ThrowawayTls.create(dir)) {
            for (TransportCost.Cost c : new TransportCost.Cost[] {
                TransportCost.plain(total),
                TransportCost.tls(total, t.tls()),
                TransportCost.boringSsl(total, t.tls()),
                NettyStreamCost.measure(total, t.tls()),
                GrpcStreamCost.measure(total, t.tls())
            }) {
                assertTrue(c.send() > 0 && Double.isFinite(c.send()), c.toString());
                assertTrue(c.receive() > 0 && Double.isFinite(c.receive()), c.toString());
            }
        }
    }
}
