package io.basalt.gateway;

import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.MetadataStore;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

/**
 * Unauthenticated probes, at MinIO's paths (existing charts and compose files use them) and
 * Basalt's own: live = the process serves HTTP; ready = etcd answers and enough writable storage
 * nodes are live for a write quorum. Not all k+m: a gateway that can still read everything and
 * write at quorum must stay behind its Service when one node is down, or a single node failure
 * would take every gateway out at once.
 */
final class Health implements HttpHandler {

    private final MetadataStore meta;
    private final Membership membership;
    private final int writeQuorum;

    Health(MetadataStore meta, Membership membership, int writeQuorum) {
        this.meta = meta;
        this.membership = membership;
        this.writeQuorum = writeQuorum;
    }

    static boolean isHealthPath(String path) {
        return path.startsWith("/minio/health/") || path.startsWith("/basalt/health/");
    }

    @Override
    public void handleRequest(HttpServerExchange ex) {
        String path = ex.getRequestPath();
        boolean ok;
        String detail;
        if (path.endsWith("/live")) {
            ok = true;
            detail = "live";
        } else if (path.endsWith("/ready")) {
            int live = membership.live().size();
            int writable = membership.writable().size();
            boolean etcd;
            try {
                meta.getBucket(".probe");
                etcd = true;
            } catch (RuntimeException e) {
                etcd = false;
            }
            ok = etcd && writable >= writeQuorum;
            detail = "etcd=" + (etcd ? "ok" : "unreachable") + " nodes=" + live + " writable=" + writable + " quorum="
                    + writeQuorum;
        } else {
            ex.setStatusCode(404);
            return;
        }
        ex.setStatusCode(ok ? 200 : 503);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
        ex.getResponseSender().send(detail + "\n");
    }
}
