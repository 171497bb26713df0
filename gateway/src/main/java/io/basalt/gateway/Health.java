package io.basalt.gateway;

import io.basalt.core.cluster.Membership;
import io.basalt.core.meta.MetadataStore;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

/**
 * Unauthenticated probes, at MinIO's paths (existing charts and compose files use them) and
 * Basalt's own: live = the process serves HTTP; ready = etcd answers and enough storage nodes
 * are live to place a new object.
 */
final class Health implements HttpHandler {

    private final MetadataStore meta;
    private final Membership membership;
    private final int shardsPerObject;

    Health(MetadataStore meta, Membership membership, int shardsPerObject) {
        this.meta = meta;
        this.membership = membership;
        this.shardsPerObject = shardsPerObject;
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
            boolean etcd;
            try {
                meta.getBucket(".probe");
                etcd = true;
            } catch (RuntimeException e) {
                etcd = false;
            }
            ok = etcd && live >= shardsPerObject;
            detail = "etcd=" + (etcd ? "ok" : "unreachable") + " nodes=" + live + "/" + shardsPerObject;
        } else {
            ex.setStatusCode(404);
            return;
        }
        ex.setStatusCode(ok ? 200 : 503);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
        ex.getResponseSender().send(detail + "\n");
    }
}
