package io.basalt.coordinator.console;

import io.basalt.coordinator.Coordinator;
import io.basalt.core.meta.EtcdMetadata;
import io.basalt.core.meta.Keys;
import io.basalt.core.tls.ClusterTls;
import java.io.IOException;

/**
 * The web console as the coordinator process runs it: its own connection to the coordinator's etcd
 * (so neither waits on the other), and the cluster's certificates to trust an https:// gateway with.
 */
public final class Console implements AutoCloseable {

    private final ClusterTls tls;
    private final EtcdMetadata meta;
    private final ConsoleServer server;

    private Console(ClusterTls tls, EtcdMetadata meta, ConsoleServer server) {
        this.tls = tls;
        this.meta = meta;
        this.server = server;
    }

    public static Console start(ConsoleConfig cfg, Coordinator.Config coordinator) throws IOException {
        ClusterTls tls = coordinator.clusterTls() == null ? null : ClusterTls.open(coordinator.clusterTls());
        EtcdMetadata meta = null;
        try {
            meta = EtcdMetadata.connect(coordinator.etcdEndpoints(), new Keys(coordinator.etcdPrefix()), tls);
            ConsoleServer server = ConsoleServer.start(cfg, meta, tls == null ? null : tls.sslContext(), () -> true);
            return new Console(tls, meta, server);
        } catch (IOException | RuntimeException e) {
            if (meta != null) meta.close();
            if (tls != null) tls.close();
            throw e;
        }
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
        meta.close();
        if (tls != null) tls.close();
    }
}
