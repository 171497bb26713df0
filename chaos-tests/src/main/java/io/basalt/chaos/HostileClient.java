package io.basalt.chaos;

import io.basalt.testkit.SigV4Signer;
import java.io.IOException;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;

/**
 * What the fuzz and clock-skew scenarios share (and DurabilityTest's half-sent PUT): signed raw requests to
 * the first gateway, and the bucket the workload of the running scenario writes to (hostile writes aimed at
 * its keys must change nothing, which the checker then proves).
 */
final class HostileClient {

    final int port;
    final String host;
    final SigV4Signer signer = new SigV4Signer(ProcessCluster.ACCESS_KEY, ProcessCluster.SECRET_KEY, "us-east-1");

    HostileClient(ProcessCluster cluster) {
        this.port =
                Integer.parseInt(cluster.endpoint().substring(cluster.endpoint().lastIndexOf(':') + 1));
        this.host = "127.0.0.1:" + port;
    }

    /** The newest bucket the ChaosRunner made for {@code scenario} ({@code chaos-<name>-<hex>}). */
    static String workloadBucket(S3Client s3, String scenario) {
        return s3.listBuckets().buckets().stream()
                .filter(b -> b.name().startsWith("chaos-" + scenario + "-"))
                .max(Comparator.comparing(Bucket::creationDate).thenComparing(Bucket::name))
                .map(Bucket::name)
                .orElseThrow(() -> new IllegalStateException("no workload bucket for " + scenario));
    }

    /** The head of a header-signed request, signed at {@code when}; {@code extra} headers are signed, {@code unsigned} not. */
    byte[] signedHead(
            String method,
            String rawPath,
            String rawQuery,
            Map<String, String> extra,
            String payloadHash,
            Instant when,
            Map<String, String> unsigned) {
        SigV4Signer.Signed s = signer.sign(method, host, rawPath, rawQuery, extra, payloadHash, when);
        return head(method, rawPath, rawQuery, s.headers(), unsigned);
    }

    byte[] head(
            String method, String rawPath, String rawQuery, Map<String, String> headers, Map<String, String> unsigned) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Host", host);
        headers.forEach((k, v) -> {
            if (!k.equalsIgnoreCase("host")) h.put(k, v);
        });
        if (unsigned != null) h.putAll(unsigned);
        return RawHttp.head(method, rawPath + (rawQuery == null ? "" : "?" + rawQuery), h);
    }

    /** Sends head + body on a new connection and reads the answer within {@code timeoutMillis}. */
    RawHttp.Answer exchange(byte[] head, byte[] body, long timeoutMillis, boolean isHead) throws IOException {
        try (RawHttp c = new RawHttp(port)) {
            c.send(head);
            if (body != null && body.length > 0) c.send(body);
            return c.read(timeoutMillis, isHead);
        }
    }
}
