package io.basalt.chaos;

import io.basalt.testkit.Digests;
import io.basalt.testkit.SigV4Signer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A client whose clock is 20 minutes off (ahead or behind) keeps sending signed writes — PUTs and DELETEs of
 * the workload's own keys and of keys of its own — with header authentication and with presigned URLs.
 * Header-signed requests must get 403 RequestTimeTooSkewed (S3 allows 15 minutes). A presigned URL is valid
 * from its X-Amz-Date for X-Amz-Expires seconds, as S3 defines it: one dated 20 minutes ahead is
 * RequestTimeTooSkewed, one dated 20 minutes back with a 15-minute expiry has expired (403 AccessDenied).
 * Nothing may change: the checker proves it for the workload's keys, LIST and HEAD for the client's own.
 * The same requests signed with the right time are sent once first, so a 403 is the clock and not the signer.
 * We sign by hand: the SDK corrects its clock offset from the first RequestTimeTooSkewed answer.
 */
public final class ClockSkew implements Scenario {

    static final Duration SKEW = Duration.ofMinutes(20);
    private static final String PREFIX = "skew/";

    @Override
    public String name() {
        return "clock-skew";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        HostileClient client = new HostileClient(c);
        try (S3Client s3 = Workload.checkingClient(c.endpoint())) {
            String bucket = HostileClient.workloadBucket(s3, name());
            control(client, h, bucket);
            List<String> ownKeys = new ArrayList<>();
            int round = 0;
            while (Scenario.sleepUntil(200 + rnd.nextInt(300), until)) {
                long start = System.nanoTime();
                boolean ahead = rnd.nextBoolean();
                Instant skewed =
                        ahead ? Instant.now().plus(SKEW) : Instant.now().minus(SKEW);
                // a workload key (the checker watches it) or one of our own
                String key =
                        rnd.nextBoolean() ? Workload.key(rnd.nextInt(4), rnd.nextInt(6)) : PREFIX + "k" + (round++);
                if (key.startsWith(PREFIX)) ownKeys.add(key);
                boolean delete = rnd.nextInt(4) == 0;
                boolean presigned = rnd.nextBoolean();
                String method = delete ? "DELETE" : "PUT";
                byte[] body = delete
                        ? new byte[0]
                        : ("skewed write " + round + " " + rnd.nextLong()).getBytes(StandardCharsets.UTF_8);
                String path = "/" + bucket + "/" + SigV4Signer.encode(key, true);
                RawHttp.Answer a;
                String expected;
                if (presigned) {
                    long expires = ahead ? 3600 : 900;
                    String q = client.signer.presignQuery(method, client.host, path, skewed, expires);
                    a = client.exchange(
                            client.head(
                                    method, path, q, Map.of(), Map.of("Content-Length", String.valueOf(body.length))),
                            body,
                            10_000,
                            false);
                    expected = ahead ? "RequestTimeTooSkewed" : "AccessDenied";
                } else {
                    byte[] head = client.signedHead(
                            method,
                            path,
                            null,
                            Map.of(),
                            Digests.sha256Hex(body),
                            skewed,
                            Map.of("Content-Length", String.valueOf(body.length)));
                    a = client.exchange(head, body, 10_000, false);
                    expected = "RequestTimeTooSkewed";
                }
                String what = (presigned ? "presigned " : "signed ") + method + " " + key + " with a clock "
                        + SKEW.toMinutes() + " min " + (ahead ? "ahead" : "behind");
                if (a.end() != RawHttp.End.ANSWER || a.status() != 403 || !expected.equals(a.code())) {
                    h.violation(what + ": expected 403 " + expected + ", got " + a.show()
                            + (a.body() == null ? "" : " " + a.body()));
                }
                h.fault(name(), what + ": " + a.show(), start, System.nanoTime());
            }
            for (String k : ownKeys) {
                try {
                    s3.headObject(b -> b.bucket(bucket).key(k));
                    h.violation("a skewed client's write is visible: HEAD " + k + " found it");
                } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
                    // as it must be
                } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
                    if (e.statusCode() != 404) h.violation("HEAD " + k + " after skewed writes: " + e.statusCode());
                }
            }
            s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(PREFIX))
                    .contents()
                    .forEach(o -> h.violation("a skewed client's write is listed: " + o.key()));
        }
    }

    /** The same requests with the right clock succeed: the 403s that follow are the skew, not the signer. */
    private void control(HostileClient client, History h, String bucket) throws Exception {
        byte[] body = "control".getBytes(StandardCharsets.UTF_8);
        String path = "/" + bucket + "/control/clock-skew";
        RawHttp.Answer put = client.exchange(
                client.signedHead(
                        "PUT",
                        path,
                        null,
                        Map.of(),
                        Digests.sha256Hex(body),
                        Instant.now(),
                        Map.of("Content-Length", String.valueOf(body.length))),
                body,
                10_000,
                false);
        String q = client.signer.presignQuery("DELETE", client.host, path, Instant.now(), 900);
        RawHttp.Answer del = client.exchange(
                client.head("DELETE", path, q, Map.of(), Map.of("Content-Length", "0")), null, 10_000, false);
        if (put.status() != 200 || del.status() != 204) {
            h.violation("control requests with the right clock failed (the signer is wrong): PUT " + put.show()
                    + ", presigned DELETE " + del.show());
        }
    }
}
