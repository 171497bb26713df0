package io.basalt.bench;

import io.basalt.core.tls.CertificateAuthority;
import io.basalt.core.tls.ClusterTls;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The cluster's kind of TLS for the transport limits: a CA of its own, a certificate for 127.0.0.1 and the
 * contexts {@link ClusterTls} makes of them, in a directory that closing deletes.
 */
final class ThrowawayTls implements AutoCloseable {
    private final Path dir;
    private final ClusterTls tls;

    private ThrowawayTls(Path dir, ClusterTls tls) {
        this.dir = dir;
        this.tls = tls;
    }

    static ThrowawayTls create(Path scratch) throws IOException {
        Path dir = scratch.resolve("bench-tls");
        CertificateAuthority.create("bench-ca", Duration.ofDays(1))
                .issue(dir, "bench", List.of("127.0.0.1"), Duration.ofDays(1));
        return new ThrowawayTls(dir, ClusterTls.open(dir));
    }

    ClusterTls tls() {
        return tls;
    }

    /** ca.crt, tls.crt and tls.key, as a cluster's TLS dir holds them (etcd's --cert-file and the rest). */
    Path dir() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        tls.close();
        Limits.deleteTree(dir);
    }
}
