package io.basalt.chaos;

import io.basalt.testkit.Digests;
import io.basalt.testkit.SigV4Signer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Bad input as a fault: malformed and hostile S3 requests, raw on sockets, while the workload runs. Broken and
 * missing signatures, wrong credential scopes, garbage and huge XML, huge headers, bodies shorter than their
 * Content-Length, truncated and malformed aws-chunked bodies, invalid ranges, odd keys ({@code ..}, NUL,
 * overlong UTF-8, invalid percent-encoding), disconnects mid-body and many half-open connections. Most are
 * signed properly ({@link SigV4Signer}), so the bad input gets past authentication to the handlers, and many
 * aim at the workload's own keys, so the checker proves they changed nothing. First, {@link Intruders}: calls
 * to the storage nodes and etcd without a cluster certificate, each of which must be refused.
 *
 * <p>Violations: an answer that is not a 4xx with an S3 XML error (a 503 counts as "try again"), nor a clean
 * close; a 2xx to a request that must fail; no answer within {@link #ANSWER_MILLIS}; a dead server process;
 * a file left in a node's tmp/; a fuzz key visible to LIST or HEAD.
 */
public final class Fuzz implements Scenario {

    static final long ANSWER_MILLIS = 8_000;
    static final String PREFIX = "fuzz/";

    /**
     * What a case may answer. REJECT: 4xx, a close or 503 only; it may aim at the workload's keys. READ: a 2xx
     * too (a range S3 ignores), reads only, so it may aim there as well. WRITE: a 2xx too (a junk header S3
     * ignores), so only at our own keys, and whatever it stored is deleted again.
     */
    enum Expect {
        REJECT,
        READ,
        WRITE
    }

    private record Case(String name, Expect expect, Sender send) {}

    @FunctionalInterface
    private interface Sender {
        RawHttp.Answer send(Ctx ctx) throws Exception;
    }

    /** Per run: where to aim. */
    private record Ctx(HostileClient client, String bucket, String key, Random rnd) {}

    @Override
    public String name() {
        return "fuzz";
    }

    @Override
    public void run(ProcessCluster c, History h, Random rnd, long until) throws Exception {
        HostileClient client = new HostileClient(c);
        Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
        Instant begin = Instant.now();
        try (S3Client s3 = Workload.checkingClient(c.endpoint())) {
            String bucket = HostileClient.workloadBucket(s3, name());
            Intruders.probe(c, h); // the cluster's inside, reached without a certificate
            Intruders.limitedKey(c, h, s3, bucket); // the S3 port, with a key of another bucket
            Thread stalled = Thread.ofVirtual()
                    .start(() ->
                            stalledBodyIsCutOff(client, h, bucket, c.config().ioTimeoutMs()));
            List<Case> cases = cases();
            // leave room at the end for the checks below while the workload still runs
            long fuzzUntil = until - Math.min(6_000_000_000L, (until - System.nanoTime()) / 3);
            int round = 0;
            while (System.nanoTime() < fuzzUntil) {
                long start = System.nanoTime();
                List<Case> order = new ArrayList<>(cases);
                java.util.Collections.shuffle(order, rnd);
                int sent = 0;
                for (Case k : order) {
                    if (round > 0 && System.nanoTime() >= fuzzUntil) break; // the first round sends every case
                    // a workload key, or one of ours
                    String key = k.expect() != Expect.WRITE && rnd.nextInt(3) == 0
                            ? Workload.key(rnd.nextInt(4), rnd.nextInt(6))
                            : PREFIX + "r" + round + "-" + sent;
                    RawHttp.Answer a;
                    try {
                        a = k.send().send(new Ctx(client, bucket, key, rnd));
                    } catch (IOException e) {
                        a = new RawHttp.Answer(RawHttp.End.CLOSED, 0, Map.of(), e.toString(), 0);
                    }
                    sent++;
                    answers.computeIfAbsent(
                                    a.end() == RawHttp.End.ANSWER
                                            ? String.valueOf(a.status())
                                            : a.end().name(),
                                    x -> new AtomicInteger())
                            .incrementAndGet();
                    judge(h, k, key, a);
                    if (k.expect() == Expect.WRITE && a.status() / 100 == 2) {
                        String p = "/" + bucket + "/" + SigV4Signer.encode(key, true);
                        client.exchange(
                                client.signedHead(
                                        "DELETE", p, null, Map.of(), Digests.EMPTY_SHA256, Instant.now(), null),
                                null,
                                ANSWER_MILLIS,
                                false);
                    }
                }
                halfOpen(client, h, s3, bucket, rnd);
                h.fault(
                        name(),
                        "round " + (round++) + ": " + sent + " hostile requests + half-open connections",
                        start,
                        System.nanoTime());
            }
            ChaosMain.log("fuzz: answers " + new java.util.TreeMap<>(answers));
            if (!stalled.join(java.time.Duration.ofSeconds(40)))
                h.violation("fuzz: the stalled-body check never ended");
            for (int i = 0; i < c.nodeCount(); i++) {
                if (!c.nodeRunning(i)) h.violation("fuzz: storage node-" + (i + 1) + " died");
            }
            if (!c.gatewayRunning()) h.violation("fuzz: the gateway died");
            if (!c.coordinatorRunning()) h.violation("fuzz: the coordinator died");
            checkNoTmpFiles(c, h, begin);
            checkNoFuzzKeys(s3, h, bucket);
        }
    }

    private static void judge(History h, Case k, String key, RawHttp.Answer a) {
        String bad = null;
        switch (a.end()) {
            case TIMEOUT -> bad = "hangs: " + a.show();
            case CLOSED -> {}
            case ANSWER -> {
                int s = a.status();
                if (s >= 500 && s != 503) bad = "server error " + a.show();
                else if (s == 503 && !a.isS3Error()) bad = "503 without an S3 error body";
                else if (s >= 400 && s < 500 && !a.isS3Error() && !k.name().startsWith("HEAD") && !isProtocolError(a)) {
                    bad = "a " + s + " without an S3 XML error body: " + a.body();
                } else if (s < 400 && k.expect() == Expect.REJECT) bad = "accepted: " + a.show();
                else if (s < 100) bad = "unparseable answer: " + a.body();
            }
        }
        if (bad != null) h.violation("fuzz case '" + k.name() + "' on " + key + ": " + bad);
    }

    /** Undertow refuses what it cannot parse as HTTP before S3 sees it: a bare 400/431 with no body is fine there. */
    private static boolean isProtocolError(RawHttp.Answer a) {
        return (a.status() == 400 || a.status() == 431 || a.status() == 505)
                && (a.body() == null || a.body().isEmpty());
    }

    // ------------------------------------------------------------------ the cases

    private static List<Case> cases() {
        List<Case> l = new ArrayList<>();
        // ---- authentication
        l.add(new Case("no signature", Expect.REJECT, x -> put(x, Map.of(), body(x, 100), null)));
        l.add(new Case(
                "garbage Authorization",
                Expect.REJECT,
                x -> put(x, Map.of("Authorization", "AWS4-HMAC-SHA256 %%%garbage"), body(x, 100), null)));
        l.add(new Case(
                "SigV2 Authorization",
                Expect.REJECT,
                x -> put(
                        x,
                        Map.of("Authorization", "AWS minioadmin:c2lnbmF0dXJl", "Date", "Thu, 01 Jan 2026 00:00:00 GMT"),
                        body(x, 100),
                        null)));
        l.add(new Case("flipped signature", Expect.REJECT, x -> {
            byte[] b = body(x, 200);
            Map<String, String> hd = x.client()
                    .signer
                    .sign("PUT", x.client().host, path(x), null, Map.of(), Digests.sha256Hex(b), Instant.now())
                    .headers();
            Map<String, String> bad = new LinkedHashMap<>(hd);
            String auth = bad.get("Authorization");
            char last = auth.charAt(auth.length() - 1);
            bad.put("Authorization", auth.substring(0, auth.length() - 1) + (last == '0' ? '1' : '0'));
            return send(x, x.client().head("PUT", path(x), null, bad, len(b)), b);
        }));
        l.add(new Case("wrong credential scope date", Expect.REJECT, x -> {
            byte[] b = body(x, 100);
            Map<String, String> hd = new LinkedHashMap<>(x.client()
                    .signer
                    .sign("PUT", x.client().host, path(x), null, Map.of(), Digests.sha256Hex(b), Instant.now())
                    .headers());
            hd.put("Authorization", hd.get("Authorization").replaceFirst("/\\d{8}/", "/19990101/"));
            return send(x, x.client().head("PUT", path(x), null, hd, len(b)), b);
        }));
        l.add(new Case("malformed credential scope", Expect.REJECT, x -> {
            byte[] b = body(x, 100);
            Map<String, String> hd = new LinkedHashMap<>(x.client()
                    .signer
                    .sign("PUT", x.client().host, path(x), null, Map.of(), Digests.sha256Hex(b), Instant.now())
                    .headers());
            hd.put("Authorization", hd.get("Authorization").replaceFirst("/s3/aws4_request", "/s3"));
            return send(x, x.client().head("PUT", path(x), null, hd, len(b)), b);
        }));
        l.add(new Case("unknown access key", Expect.REJECT, x -> {
            byte[] b = body(x, 100);
            SigV4Signer other = new SigV4Signer("nobody", "nothing", "us-east-1");
            Map<String, String> hd = other.sign(
                            "PUT", x.client().host, path(x), null, Map.of(), Digests.sha256Hex(b), Instant.now())
                    .headers();
            return send(x, x.client().head("PUT", path(x), null, hd, len(b)), b);
        }));
        l.add(new Case("presigned, expiry out of bounds", Expect.REJECT, x -> {
            String q = x.client()
                    .signer
                    .presignQuery("PUT", x.client().host, path(x), Instant.now(), 3600)
                    .replace(
                            "X-Amz-Expires=3600",
                            "X-Amz-Expires=" + (x.rnd().nextBoolean() ? "-5" : "99999999999999999999"));
            byte[] b = body(x, 10);
            return send(x, x.client().head("PUT", path(x), q, Map.of(), len(b)), b);
        }));
        l.add(new Case("missing x-amz-content-sha256", Expect.REJECT, x -> {
            byte[] b = body(x, 100);
            Map<String, String> hd = new LinkedHashMap<>(x.client()
                    .signer
                    .sign("PUT", x.client().host, path(x), null, Map.of(), Digests.sha256Hex(b), Instant.now())
                    .headers());
            hd.remove("x-amz-content-sha256");
            return send(x, x.client().head("PUT", path(x), null, hd, len(b)), b);
        }));
        l.add(new Case("Expect 100-continue, bad signature", Expect.REJECT, x -> {
            Map<String, String> hd = new LinkedHashMap<>(x.client()
                    .signer
                    .sign("PUT", x.client().host, path(x), null, Map.of(), "UNSIGNED-PAYLOAD", Instant.now())
                    .headers());
            hd.put("Authorization", hd.get("Authorization").replace("Signature=", "Signature=00"));
            hd.put("Expect", "100-continue");
            return send(
                    x,
                    x.client().head("PUT", path(x), null, hd, Map.of("Content-Length", String.valueOf(8 << 20))),
                    null);
        }));
        // ---- bodies that do not match what was signed or declared
        l.add(new Case("payload hash mismatch", Expect.REJECT, x -> {
            byte[] b = body(x, 5000);
            byte[] other = body(x, 5000);
            return signedPut(x, Digests.sha256Hex(other), Map.of(), len(b), b);
        }));
        l.add(new Case("body shorter than Content-Length, half-close", Expect.REJECT, x -> {
            byte[] b = body(x, 3000);
            try (RawHttp r = new RawHttp(x.client().port)) {
                r.send(x.client()
                        .signedHead(
                                "PUT",
                                path(x),
                                null,
                                Map.of(),
                                "UNSIGNED-PAYLOAD",
                                Instant.now(),
                                Map.of("Content-Length", "10000")));
                r.send(b).halfClose();
                return r.read(ANSWER_MILLIS, false);
            }
        }));
        l.add(new Case("body shorter than signed length, reset", Expect.REJECT, x -> {
            byte[] b = body(x, 600_000);
            try (RawHttp r = new RawHttp(x.client().port)) {
                r.send(x.client()
                        .signedHead("PUT", path(x), null, Map.of(), Digests.sha256Hex(b), Instant.now(), len(b)));
                r.send(java.util.Arrays.copyOf(b, 1 + x.rnd().nextInt(b.length - 1)));
                r.reset();
                return new RawHttp.Answer(RawHttp.End.CLOSED, 0, Map.of(), null, 0);
            }
        }));
        l.add(new Case("disconnect mid-body, large unsigned payload", Expect.REJECT, x -> {
            try (RawHttp r = new RawHttp(x.client().port)) {
                r.send(x.client()
                        .signedHead(
                                "PUT",
                                path(x),
                                null,
                                Map.of(),
                                "UNSIGNED-PAYLOAD",
                                Instant.now(),
                                Map.of("Content-Length", String.valueOf(6 << 20))));
                byte[] chunk = body(x, 256 << 10);
                for (int i = 0, n = 1 + x.rnd().nextInt(12); i < n; i++) r.send(chunk);
                r.reset();
                return new RawHttp.Answer(RawHttp.End.CLOSED, 0, Map.of(), null, 0);
            }
        }));
        l.add(new Case(
                "Content-Length not a number",
                Expect.REJECT,
                x -> signedPut(
                        x,
                        "UNSIGNED-PAYLOAD",
                        Map.of(),
                        Map.of("Content-Length", x.rnd().nextBoolean() ? "-1" : "12abc"),
                        body(x, 12))));
        l.add(new Case("two Content-Lengths", Expect.REJECT, x -> {
            byte[] b = body(x, 20);
            byte[] head = x.client()
                    .signedHead(
                            "PUT",
                            path(x),
                            null,
                            Map.of(),
                            "UNSIGNED-PAYLOAD",
                            Instant.now(),
                            Map.of("Content-Length", "20"));
            String h =
                    new String(head, StandardCharsets.ISO_8859_1).replace("\r\n\r\n", "\r\nContent-Length: 10\r\n\r\n");
            return send(x, h.getBytes(StandardCharsets.ISO_8859_1), b);
        }));
        l.add(new Case(
                "bad Content-MD5",
                Expect.REJECT,
                x -> signedPut(
                        x,
                        "UNSIGNED-PAYLOAD",
                        Map.of("content-md5", x.rnd().nextBoolean() ? "not base64!" : "AAAAAAAAAAAAAAAAAAAAAA=="),
                        null,
                        body(x, 300))));
        l.add(new Case(
                "bad x-amz-checksum-crc32",
                Expect.REJECT,
                x -> signedPut(
                        x,
                        "UNSIGNED-PAYLOAD",
                        Map.of("x-amz-checksum-crc32", x.rnd().nextBoolean() ? "!!!!" : "AAAAAA=="),
                        null,
                        body(x, 300))));
        // ---- aws-chunked
        l.add(new Case(
                "aws-chunked, bad chunk size",
                Expect.REJECT,
                x -> chunked(
                        x,
                        (s, data) ->
                                ("zz;chunk-signature=" + "0".repeat(64) + "\r\n").getBytes(StandardCharsets.ISO_8859_1),
                        true)));
        l.add(new Case(
                "aws-chunked, bad chunk signature",
                Expect.REJECT,
                x -> chunked(
                        x,
                        (s, data) -> concat(
                                chunkHead(data.length, "ab".repeat(32)),
                                data,
                                crlf(),
                                chunkHead(0, s.chunkSignature("x", new byte[0])),
                                crlf()),
                        true)));
        l.add(new Case(
                "aws-chunked, truncated mid-chunk",
                Expect.REJECT,
                x -> chunked(
                        x,
                        (s, data) -> concat(
                                chunkHead(data.length, s.chunkSignature(s.signature(), data)),
                                java.util.Arrays.copyOf(data, data.length / 2)),
                        true)));
        l.add(new Case(
                "aws-chunked, no final chunk",
                Expect.REJECT,
                x -> chunked(
                        x,
                        (s, data) ->
                                concat(chunkHead(data.length, s.chunkSignature(s.signature(), data)), data, crlf()),
                        true)));
        l.add(new Case(
                "aws-chunked, chunk size past the body",
                Expect.REJECT,
                x -> chunked(
                        x,
                        (s, data) -> concat(
                                ("7fffffffffffffff;chunk-signature=" + s.chunkSignature(s.signature(), data) + "\r\n")
                                        .getBytes(StandardCharsets.ISO_8859_1),
                                data),
                        true)));
        l.add(new Case(
                "aws-chunked, bad decoded length",
                Expect.REJECT,
                x -> chunked(
                        x,
                        (s, data) -> {
                            String sig = s.chunkSignature(s.signature(), data);
                            return concat(
                                    chunkHead(data.length, sig),
                                    data,
                                    crlf(),
                                    chunkHead(0, s.chunkSignature(sig, new byte[0])),
                                    crlf());
                        },
                        x.rnd().nextBoolean() ? "12x" : "99999999999999999999999")));
        l.add(new Case("aws-chunked trailer, missing trailer", Expect.REJECT, x -> chunkedTrailer(x, false)));
        l.add(new Case("aws-chunked trailer, unsigned trailer", Expect.REJECT, x -> chunkedTrailer(x, true)));
        // ---- XML bodies
        l.add(new Case("CompleteMultipartUpload garbage XML", Expect.REJECT, x -> complete(x, garbage(x, 2000))));
        l.add(new Case(
                "CompleteMultipartUpload huge XML",
                Expect.REJECT,
                x -> complete(
                        x,
                        hugeXml(
                                "CompleteMultipartUpload",
                                "<Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part>",
                                3 << 20))));
        l.add(new Case(
                "CompleteMultipartUpload entity expansion",
                Expect.REJECT,
                x -> complete(x, laughs("CompleteMultipartUpload"))));
        l.add(new Case("CompleteMultipartUpload unknown upload", Expect.REJECT, x -> {
            byte[] b =
                    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"00\"</ETag></Part></CompleteMultipartUpload>"
                            .getBytes(StandardCharsets.UTF_8);
            return signed(
                    x, "POST", path(x), "uploadId=" + "not-an-upload-" + x.rnd().nextInt(1000), b);
        }));
        l.add(new Case(
                "UploadPartCopy range past a long",
                Expect.REJECT,
                x -> withUpload(
                        x,
                        id -> signed(
                                x,
                                "PUT",
                                path(x),
                                "partNumber=1&uploadId=" + SigV4Signer.encode(id, false),
                                Map.of(
                                        "x-amz-copy-source",
                                        "/" + x.bucket() + "/" + Workload.key(0, 0),
                                        "x-amz-copy-source-range",
                                        "bytes=0-99999999999999999999"),
                                new byte[0]))));
        l.add(new Case(
                "UploadPart bad part numbers",
                Expect.REJECT,
                x -> withUpload(
                        x,
                        id -> signed(
                                x,
                                "PUT",
                                path(x),
                                "partNumber=" + (x.rnd().nextBoolean() ? "0" : "10001") + "&uploadId="
                                        + SigV4Signer.encode(id, false),
                                body(x, 100)))));
        l.add(new Case("DeleteObjects garbage XML", Expect.REJECT, x -> deleteObjects(x, garbage(x, 3000))));
        l.add(new Case(
                "DeleteObjects huge XML",
                Expect.REJECT,
                x -> deleteObjects(x, hugeXml("Delete", "<Object><Key>" + PREFIX + "x</Key></Object>", 3 << 20))));
        l.add(new Case("DeleteObjects entity expansion", Expect.REJECT, x -> deleteObjects(x, laughs("Delete"))));
        l.add(new Case(
                "DeleteObjects 1001 keys",
                Expect.REJECT,
                x -> deleteObjects(
                        x,
                        ("<Delete>" + ("<Object><Key>" + PREFIX + "x</Key></Object>").repeat(1001) + "</Delete>")
                                .getBytes(StandardCharsets.UTF_8))));
        // ---- headers
        l.add(new Case(
                "user metadata > 16 KiB",
                Expect.REJECT,
                x -> signedPut(
                        x, "UNSIGNED-PAYLOAD", Map.of("x-amz-meta-big", "a".repeat(17 << 10)), null, body(x, 10))));
        l.add(new Case(
                "header > 64 KiB",
                Expect.WRITE,
                x -> signedPut(x, "UNSIGNED-PAYLOAD", Map.of(), Map.of("X-Junk", "b".repeat(70 << 10)), body(x, 10))));
        l.add(new Case("headers > 1 MiB", Expect.REJECT, x -> {
            Map<String, String> junk = new LinkedHashMap<>();
            for (int i = 0; i < 40; i++) junk.put("X-Junk-" + i, "c".repeat(30 << 10));
            return signedPut(x, "UNSIGNED-PAYLOAD", Map.of(), junk, body(x, 10));
        }));
        l.add(new Case("1000 headers", Expect.REJECT, x -> {
            Map<String, String> junk = new LinkedHashMap<>();
            for (int i = 0; i < 1000; i++) junk.put("X-H" + i, "v");
            return signedPut(x, "UNSIGNED-PAYLOAD", Map.of(), junk, body(x, 10));
        }));
        l.add(new Case(
                "garbage request line",
                Expect.REJECT,
                x -> send(
                        x,
                        ("GET /\u0001 \u0002HTTP/9.9\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1),
                        null)));
        l.add(new Case("binary garbage", Expect.REJECT, x -> send(x, garbage(x, 4000), null)));
        // ---- ranges: S3 ignores what it cannot parse and serves the object, so a 200 is fine
        l.add(new Case("invalid Range", Expect.READ, x -> {
            String[] ranges = {
                "bytes=abc",
                "bytes=5-1",
                "bytes=-0",
                "bytes=99999999999999999999999-",
                "bytes=0-0,1-1",
                "items=0-1",
                "bytes=--1",
                "bytes=-99999999999999999999",
                "bytes= 1 - 2 ",
                "bytes=1-2-3",
                "bytes=\u00ff"
            };
            String range = ranges[x.rnd().nextInt(ranges.length)];
            return signed(x, "GET", path(x), null, Map.of("Range", range), null);
        }));
        l.add(new Case("invalid query values", Expect.REJECT, x -> {
            String[] qs = {
                "list-type=2&max-keys=abc",
                "list-type=2&continuation-token=%%%",
                "partNumber=abc",
                "partNumber=99999999999",
                "uploadId=&partNumber=-1",
                "list-type=2&max-keys=-1"
            };
            String q = qs[x.rnd().nextInt(qs.length)];
            String p = q.startsWith("list-type") ? "/" + x.bucket() : path(x);
            return signed(x, q.startsWith("uploadId") ? "PUT" : "GET", p, q, new byte[0]);
        }));
        l.add(new Case("bad copy source", Expect.REJECT, x -> {
            String[] srcs = {
                "/", "%", "nobucket", "/" + x.bucket() + "/", "/" + x.bucket() + "/nokey?versionId=abc", "%00/%00"
            };
            return signed(
                    x,
                    "PUT",
                    path(x),
                    null,
                    Map.of("x-amz-copy-source", srcs[x.rnd().nextInt(srcs.length)]),
                    new byte[0]);
        }));
        // ---- keys
        l.add(new Case("key with NUL", Expect.REJECT, x -> putKey(x, PREFIX + "nul%00")));
        l.add(new Case("key with overlong UTF-8", Expect.REJECT, x -> putKey(x, PREFIX + "overlong%C0%AF")));
        l.add(new Case("key with invalid UTF-8", Expect.REJECT, x -> putKey(x, PREFIX + "bad%FF%FE")));
        l.add(new Case("key with invalid percent-encoding", Expect.REJECT, x -> putKey(x, PREFIX + "pct%zz%4")));
        l.add(new Case("key too long", Expect.REJECT, x -> putKey(x, PREFIX + "long" + "k".repeat(1100))));
        l.add(new Case("key with ..", Expect.WRITE, x -> dotDot(x)));
        return l;
    }

    // ------------------------------------------------------------------ request builders

    private static String path(Ctx x) {
        return "/" + x.bucket() + "/" + SigV4Signer.encode(x.key(), true);
    }

    private static byte[] body(Ctx x, int n) {
        byte[] b = new byte[n];
        x.rnd().nextBytes(b);
        return b;
    }

    private static Map<String, String> len(byte[] b) {
        return Map.of("Content-Length", String.valueOf(b.length));
    }

    private static byte[] crlf() {
        return "\r\n".getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] chunkHead(int size, String sig) {
        return (Integer.toHexString(size) + ";chunk-signature=" + sig + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    private static byte[] garbage(Ctx x, int n) {
        byte[] b = body(x, n);
        if (x.rnd().nextBoolean())
            System.arraycopy("<Delete><Object><Key>".getBytes(StandardCharsets.UTF_8), 0, b, 0, 21);
        return b;
    }

    private static byte[] hugeXml(String root, String item, int bytes) {
        StringBuilder sb = new StringBuilder("<").append(root).append('>');
        while (sb.length() < bytes) sb.append(item);
        return sb.append("</").append(root).append('>').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] laughs(String root) {
        return ("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;\">"
                        + "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\"><!ENTITY ext SYSTEM \"file:///etc/passwd\">]>"
                        + "<" + root + "><Object><Key>&lol3;&ext;</Key></Object></" + root + ">")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static RawHttp.Answer send(Ctx x, byte[] head, byte[] body) throws IOException {
        return x.client().exchange(head, body, ANSWER_MILLIS, false);
    }

    private static RawHttp.Answer put(Ctx x, Map<String, String> headers, byte[] b, Map<String, String> extra)
            throws IOException {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.putAll(len(b));
        if (extra != null) h.putAll(extra);
        return send(x, x.client().head("PUT", path(x), null, h, null), b);
    }

    /** A PUT signed with {@code payloadHash}, {@code signedExtra} signed and {@code unsigned} not; Content-Length from the body unless given. */
    private static RawHttp.Answer signedPut(
            Ctx x, String payloadHash, Map<String, String> signedExtra, Map<String, String> unsigned, byte[] b)
            throws IOException {
        Map<String, String> u = new LinkedHashMap<>(len(b));
        if (unsigned != null) u.putAll(unsigned);
        return send(x, x.client().signedHead("PUT", path(x), null, signedExtra, payloadHash, Instant.now(), u), b);
    }

    private static RawHttp.Answer signed(Ctx x, String method, String p, String q, byte[] b) throws IOException {
        return signed(x, method, p, q, Map.of(), b);
    }

    private static RawHttp.Answer signed(Ctx x, String method, String p, String q, Map<String, String> extra, byte[] b)
            throws IOException {
        byte[] body = b == null ? new byte[0] : b;
        Map<String, String> u = b == null ? Map.of() : len(body);
        return x.client()
                .exchange(
                        x.client().signedHead(method, p, q, extra, Digests.sha256Hex(body), Instant.now(), u),
                        body,
                        ANSWER_MILLIS,
                        method.equals("HEAD"));
    }

    @FunctionalInterface
    private interface ChunkedBody {
        byte[] make(SigV4Signer.Signed seed, byte[] data);
    }

    private static RawHttp.Answer chunked(Ctx x, ChunkedBody make, boolean exactDecodedLength) throws IOException {
        return chunked(x, make, (String) null);
    }

    /** A signed aws-chunked PUT whose body {@code make} builds from the seed signature; then a half-close. */
    private static RawHttp.Answer chunked(Ctx x, ChunkedBody make, String decodedLength) throws IOException {
        byte[] data = body(x, 1000 + x.rnd().nextInt(20_000));
        Map<String, String> signedExtra = new LinkedHashMap<>();
        signedExtra.put("content-encoding", "aws-chunked");
        signedExtra.put(
                "x-amz-decoded-content-length", decodedLength != null ? decodedLength : String.valueOf(data.length));
        SigV4Signer.Signed s = x.client()
                .signer
                .sign(
                        "PUT",
                        x.client().host,
                        path(x),
                        null,
                        signedExtra,
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                        Instant.now());
        byte[] b = make.make(s, data);
        try (RawHttp r = new RawHttp(x.client().port)) {
            r.send(x.client().head("PUT", path(x), null, s.headers(), len(b)));
            r.send(b).halfClose();
            return r.read(ANSWER_MILLIS, false);
        }
    }

    /** STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER with the trailer left out, or sent without its signature. */
    private static RawHttp.Answer chunkedTrailer(Ctx x, boolean unsignedTrailer) throws IOException {
        byte[] data = body(x, 2000);
        Map<String, String> signedExtra = new LinkedHashMap<>();
        signedExtra.put("content-encoding", "aws-chunked");
        signedExtra.put("x-amz-decoded-content-length", String.valueOf(data.length));
        signedExtra.put("x-amz-trailer", "x-amz-checksum-crc32");
        SigV4Signer.Signed s = x.client()
                .signer
                .sign(
                        "PUT",
                        x.client().host,
                        path(x),
                        null,
                        signedExtra,
                        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                        Instant.now());
        String sig = s.chunkSignature(s.signature(), data);
        String last = s.chunkSignature(sig, new byte[0]);
        byte[] tail = unsignedTrailer
                ? "x-amz-checksum-crc32:AAAAAA==\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)
                : crlf();
        byte[] b = concat(chunkHead(data.length, sig), data, crlf(), chunkHead(0, last), tail);
        try (RawHttp r = new RawHttp(x.client().port)) {
            r.send(x.client().head("PUT", path(x), null, s.headers(), len(b)));
            r.send(b).halfClose();
            return r.read(ANSWER_MILLIS, false);
        }
    }

    /** POST ?uploadId= of a real upload with a hostile body. */
    private static RawHttp.Answer complete(Ctx x, byte[] xml) throws IOException {
        return withUpload(x, id -> signed(x, "POST", path(x), "uploadId=" + SigV4Signer.encode(id, false), xml));
    }

    @FunctionalInterface
    private interface UploadRequest {
        RawHttp.Answer send(String uploadId) throws IOException;
    }

    /** Runs {@code r} against a real multipart upload of the case's key, created here and aborted after. */
    private static RawHttp.Answer withUpload(Ctx x, UploadRequest r) throws IOException {
        RawHttp.Answer created = signed(x, "POST", path(x), "uploads", new byte[0]);
        String id = created.body() == null ? null : between(created.body(), "<UploadId>", "</UploadId>");
        if (id == null) return created; // judged like any answer
        try {
            return r.send(id);
        } finally {
            signed(x, "DELETE", path(x), "uploadId=" + SigV4Signer.encode(id, false), null);
        }
    }

    private static RawHttp.Answer deleteObjects(Ctx x, byte[] xml) throws IOException {
        return signed(x, "POST", "/" + x.bucket(), "delete", xml);
    }

    private static RawHttp.Answer putKey(Ctx x, String rawKey) throws IOException {
        String p = "/" + x.bucket() + "/" + rawKey;
        byte[] b = body(x, 50);
        return x.client()
                .exchange(
                        x.client().signedHead("PUT", p, null, Map.of(), Digests.sha256Hex(b), Instant.now(), len(b)),
                        b,
                        ANSWER_MILLIS,
                        false);
    }

    /**
     * Keys with {@code ..} are plain S3 keys (nothing here is a file path): stored under exactly that name or
     * refused, never resolved. When stored, it must read back as written; then it is deleted again.
     */
    private static RawHttp.Answer dotDot(Ctx x) throws IOException {
        String[] keys = {
            PREFIX + "../../etc/passwd",
            PREFIX + "a/../b",
            "../" + PREFIX + "up",
            PREFIX + "..",
            PREFIX + "%2E%2E/%2e%2e/x"
        };
        String raw = keys[x.rnd().nextInt(keys.length)];
        String p = "/" + x.bucket() + "/" + raw;
        byte[] b = body(x, 64);
        RawHttp.Answer a = x.client()
                .exchange(
                        x.client().signedHead("PUT", p, null, Map.of(), Digests.sha256Hex(b), Instant.now(), len(b)),
                        b,
                        ANSWER_MILLIS,
                        false);
        if (a.status() != 200) return a;
        String key = SigV4Signer.decode(raw, false);
        String canonical = "/" + x.bucket() + "/" + SigV4Signer.encode(key, true);
        RawHttp.Answer got = x.client()
                .exchange(
                        x.client()
                                .signedHead(
                                        "GET", canonical, null, Map.of(), Digests.EMPTY_SHA256, Instant.now(), null),
                        null,
                        ANSWER_MILLIS,
                        false);
        signed(x, "DELETE", canonical, null, null);
        if (got.status() != 200 || !got.body().equals(new String(b, StandardCharsets.UTF_8))) {
            return new RawHttp.Answer(
                    RawHttp.End.ANSWER,
                    500,
                    Map.of(),
                    "<Error><Code>FuzzCheck</Code></Error> key " + key + " stored but read back as " + got.show(),
                    got.millis());
        }
        return a;
    }

    private static String between(String s, String a, String b) {
        int i = s.indexOf(a), j = s.indexOf(b);
        return i >= 0 && j > i ? s.substring(i + a.length(), j) : null;
    }

    // ------------------------------------------------------------------ half-open connections

    /**
     * Many connections that send part of a request and wait: headers cut off, and signed PUTs whose body
     * stalls. While they hang, a normal request must still be answered promptly; when they go away, nothing
     * of theirs may remain.
     */
    private static void halfOpen(HostileClient client, History h, S3Client s3, String bucket, Random rnd) {
        List<RawHttp> open = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                RawHttp r = new RawHttp(client.port);
                open.add(r);
                r.send(("PUT /" + bucket + "/" + PREFIX + "half" + i + " HTTP/1.1\r\nHost: " + client.host
                                + "\r\nContent-Le")
                        .getBytes(StandardCharsets.ISO_8859_1));
            }
            for (int i = 0; i < 8; i++) {
                RawHttp r = new RawHttp(client.port);
                open.add(r);
                r.send(client.signedHead(
                        "PUT",
                        "/" + bucket + "/" + PREFIX + "stalled" + i,
                        null,
                        Map.of(),
                        "UNSIGNED-PAYLOAD",
                        Instant.now(),
                        Map.of("Content-Length", String.valueOf(1 << 20))));
                byte[] part = new byte[1000 + rnd.nextInt(100_000)];
                rnd.nextBytes(part);
                r.send(part);
            }
            long t = System.nanoTime();
            try {
                s3.headBucket(b -> b.bucket(bucket));
            } catch (RuntimeException e) {
                h.violation("fuzz: with 108 half-open connections a HEAD bucket failed: " + e);
            }
            long ms = (System.nanoTime() - t) / 1_000_000;
            if (ms > 3000) h.violation("fuzz: with 108 half-open connections a HEAD bucket took " + ms + " ms");
        } catch (IOException e) {
            h.violation("fuzz: could not open half-open connections: " + e);
        } finally {
            for (RawHttp r : open) {
                if (rnd.nextBoolean()) r.reset();
                else r.close();
            }
        }
    }

    /**
     * A signed PUT whose body stops half-way while the connection stays open: the gateway must give up on it
     * (after twice its I/O timeout) rather than hold a worker and k+m shard streams for ever.
     */
    private static void stalledBodyIsCutOff(HostileClient client, History h, String bucket, long ioTimeoutMs) {
        long limit = 2 * ioTimeoutMs + 10_000;
        try (RawHttp r = new RawHttp(client.port)) {
            r.send(client.signedHead(
                    "PUT",
                    "/" + bucket + "/" + PREFIX + "stalled-long",
                    null,
                    Map.of(),
                    "UNSIGNED-PAYLOAD",
                    Instant.now(),
                    Map.of("Content-Length", String.valueOf(4 << 20))));
            r.send(new byte[300_000]);
            long start = System.nanoTime();
            RawHttp.Answer a = r.read(limit, false);
            h.fault("fuzz", "a signed PUT stalled mid-body: " + a.show(), start, System.nanoTime());
            if (a.end() == RawHttp.End.TIMEOUT) {
                h.violation("fuzz: a signed PUT whose body stalled was not cut off within " + limit + " ms");
            } else if (a.end() == RawHttp.End.ANSWER && (a.status() < 400 || a.status() >= 500 && a.status() != 503)) {
                h.violation("fuzz: a signed PUT whose body stalled got " + a.show());
            }
        } catch (IOException e) {
            // the server closed on us while we were still sending: cut off, as it should be
        }
    }

    // ------------------------------------------------------------------ end checks

    /** No file in any node's tmp/ older than the scenario's last seconds: every aborted write was cleaned up. */
    private static void checkNoTmpFiles(ProcessCluster c, History h, Instant begin) throws Exception {
        long deadline = System.nanoTime() + 15_000_000_000L;
        List<String> stale;
        do {
            Thread.sleep(1000);
            stale = new ArrayList<>();
            FileTime cutoff = FileTime.from(Instant.now().minusSeconds(5));
            for (int i = 0; i < c.nodeCount(); i++) {
                Path tmp = c.nodeDir(i).resolve("tmp");
                if (!Files.isDirectory(tmp)) continue;
                try (Stream<Path> s = Files.list(tmp)) {
                    for (Path f : s.toList()) {
                        try {
                            FileTime m = Files.getLastModifiedTime(f);
                            if (m.compareTo(cutoff) < 0 && m.toInstant().isAfter(begin.minusSeconds(1))) {
                                stale.add("node-" + (i + 1) + "/tmp/" + f.getFileName());
                            }
                        } catch (IOException gone) {
                            // renamed or deleted meanwhile
                        }
                    }
                }
            }
        } while (!stale.isEmpty() && System.nanoTime() < deadline);
        for (String f : stale) h.violation("fuzz: a temporary file stays behind: " + f);
    }

    private static void checkNoFuzzKeys(S3Client s3, History h, String bucket) {
        try {
            s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().forEach(o -> {
                if (!o.key().matches("t\\d+/k\\d+")) h.violation("fuzz: a fuzz key is listed: " + o.key());
            });
        } catch (RuntimeException e) {
            h.violation("fuzz: LIST of the bucket fails: " + e.getMessage());
            // URL-encoded keys survive any character: show which
            s3.listObjectsV2Paginator(b -> b.bucket(bucket).encodingType("url"))
                    .contents()
                    .forEach(o -> {
                        if (!o.key().matches("t\\d+/k\\d+"))
                            h.violation("fuzz: a fuzz key is listed (url-encoded): " + o.key());
                    });
        }
        for (String k : List.of(
                PREFIX + "nul\u0000",
                PREFIX + "overlong\uFFFD\uFFFD",
                PREFIX + "bad\uFFFD\uFFFD",
                PREFIX + "pct%zz%4",
                PREFIX + "half0",
                PREFIX + "stalled0",
                PREFIX + "stalled-long")) {
            try {
                s3.headObject(b -> b.bucket(bucket).key(k));
                h.violation("fuzz: HEAD finds " + k);
            } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
                if (e.statusCode() != 404) h.violation("fuzz: HEAD " + k + " answered " + e.statusCode());
            }
        }
    }
}
