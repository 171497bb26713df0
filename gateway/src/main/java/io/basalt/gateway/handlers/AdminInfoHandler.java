package io.basalt.gateway.handlers;

import io.basalt.core.cluster.Membership;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.proto.meta.NodeRecord;
import io.undertow.util.Headers;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * MinIO's {@code GET /minio/admin/v3/info}, reduced to what operators probe (milvus-operator
 * reads it to decide the object store is up): mode, region, a stable deployment id and one
 * online server per live storage node with its data directories as drives. Signed like any
 * S3 request; the router has authenticated it before it gets here.
 */
public final class AdminInfoHandler {

    private static final String INFO = "admin/v3/info";

    private final Membership membership;
    private final Supplier<String> clusterId;
    private volatile String deploymentId;

    /** @param clusterId a stable id of the cluster (e.g. etcd's), read once, on first use */
    public AdminInfoHandler(Membership membership, Supplier<String> clusterId) {
        this.membership = membership;
        this.clusterId = clusterId;
    }

    public void handle(S3Request req) {
        if (!req.method().equals("GET") || !req.key().equals(INFO)) {
            throw new S3Exception(S3Error.NOT_IMPLEMENTED, "Only the admin info API is implemented.");
        }
        StringBuilder json = new StringBuilder(512)
                .append("{\"mode\":\"online\",\"region\":\"us-east-1\",\"deploymentID\":")
                .append(str(deploymentId()))
                .append(",\"servers\":[");
        int drives = 0;
        boolean firstServer = true;
        for (NodeRecord n : membership.live().values()) {
            if (!firstServer) json.append(',');
            firstServer = false;
            json.append("{\"state\":\"online\",\"endpoint\":")
                    .append(str(n.getAddress()))
                    .append(",\"uptime\":")
                    .append(Math.max(0, (System.currentTimeMillis() - n.getStartedUnixMs()) / 1000))
                    .append(",\"drives\":[");
            for (int i = 0; i < n.getDataDirsCount(); i++) {
                if (i > 0) json.append(',');
                json.append("{\"endpoint\":")
                        .append(str(n.getAddress() + n.getDataDirs(i)))
                        .append(",\"path\":")
                        .append(str(n.getDataDirs(i)))
                        .append(",\"state\":\"ok\",\"uuid\":")
                        .append(str(n.getNodeId() + "/" + i))
                        .append('}');
                drives++;
            }
            json.append("]}");
        }
        json.append("],\"backend\":{\"backendType\":\"Erasure\",\"onlineDisks\":")
                .append(drives)
                .append(",\"offlineDisks\":0}}");
        byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
        req.exchange().setStatusCode(200);
        req.exchange().getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        req.exchange().setResponseContentLength(body.length);
        req.exchange().getResponseSender().send(java.nio.ByteBuffer.wrap(body));
    }

    private String deploymentId() {
        String id = deploymentId;
        if (id == null) {
            id = UUID.nameUUIDFromBytes(("basalt:" + clusterId.get()).getBytes(StandardCharsets.UTF_8))
                    .toString();
            deploymentId = id;
        }
        return id;
    }

    private static String str(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }
}
