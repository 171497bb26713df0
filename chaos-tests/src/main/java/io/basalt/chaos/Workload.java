package io.basalt.chaos;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.StandardRetryStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Client threads doing PUT, multipart PUT, GET (whole and ranged), overwrite, DELETE and LIST. Each thread
 * owns its keys ({@code t<i>/k<j>}), so the order of requests on one key is the thread's program order.
 * With several gateways each request goes to a randomly chosen one, so a read often follows a write of the
 * same key through the other gateway (cross-gateway read-after-write).
 */
public final class Workload {

    public record Settings(int threads, int keysPerThread, int maxSize, long seed) {}

    static final int MIN_PART = 5 << 20;

    private final List<S3Client> clients;
    private final ThreadLocal<Integer> gateway = ThreadLocal.withInitial(() -> 0);
    private final String bucket;
    private final History history;
    private final Settings settings;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    public Workload(S3Client s3, String bucket, History history, Settings settings) {
        this(List.of(s3), bucket, history, settings);
    }

    /** @param clients one client per gateway */
    public Workload(List<S3Client> clients, String bucket, History history, Settings settings) {
        this.clients = List.copyOf(clients);
        this.bucket = bucket;
        this.history = history;
        this.settings = settings;
    }

    public static S3Client client(String endpoint) {
        return client(endpoint, ProcessCluster.ACCESS_KEY, ProcessCluster.SECRET_KEY);
    }

    static S3Client client(String endpoint, String accessKey, String secretKey) {
        return client(
                endpoint,
                accessKey,
                secretKey,
                StandardRetryStrategy.builder().maxAttempts(1).build());
    }

    /**
     * A client for a scenario's own setup and checks (the workload's clients never retry, to count every failure).
     * It retries a request once whose connection failed before any answer: the gateway closes a keep-alive
     * connection idle for twice the I/O timeout (10 s in the chaos cluster), and a pooled one reused at that very
     * moment is reset, which the SDKs and Go's net/http retry as well. An answer, an error status included, is never
     * retried, nor a timeout.
     */
    static S3Client checkingClient(String endpoint) {
        return client(
                endpoint,
                ProcessCluster.ACCESS_KEY,
                ProcessCluster.SECRET_KEY,
                StandardRetryStrategy.builder()
                        .maxAttempts(2)
                        .retryOnException(Workload::connectionLost)
                        .useClientDefaults(false)
                        .build());
    }

    private static boolean connectionLost(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return root instanceof IOException && !(root instanceof SocketTimeoutException);
    }

    private static S3Client client(String endpoint, String accessKey, String secretKey, RetryStrategy retries) {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .serviceConfiguration(
                        S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_SUPPORTED)
                .httpClientBuilder(ApacheHttpClient.builder()
                        .maxConnections(64)
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(90)))
                .overrideConfiguration(
                        c -> c.apiCallTimeout(Duration.ofSeconds(120)).retryStrategy(retries))
                .build();
    }

    /** The gateway (index into the clients) the calling thread's next requests go to. */
    public void useGateway(int i) {
        gateway.set(Math.floorMod(i, clients.size()));
    }

    private S3Client s3() {
        return clients.get(gateway.get());
    }

    public static String key(int thread, int k) {
        return "t" + thread + "/k" + k;
    }

    public void start() {
        for (int t = 0; t < settings.threads(); t++) {
            int tid = t;
            Thread th = new Thread(() -> loop(tid), "chaos-client-" + t);
            th.setDaemon(true);
            threads.add(th);
            th.start();
        }
    }

    public void stopAndJoin() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) t.join();
    }

    private int size(SplittableRandom r) {
        int max = settings.maxSize();
        int p = r.nextInt(100);
        if (p < 8) return 0;
        if (p < 60) return 1 + r.nextInt(Math.min(max, 4096));
        if (p < 90) return 1 + r.nextInt(Math.min(max, 256 << 10));
        // a few large ones, up to the maximum (64 MiB by default), without letting them dominate the run
        if (p < 98) return 1 + r.nextInt(Math.min(max, 3 << 20));
        return 1 + r.nextInt(max);
    }

    private void loop(int tid) {
        SplittableRandom r = new SplittableRandom(settings.seed() * 1000 + tid);
        int[] knownSize = new int[settings.keysPerThread()];
        while (!stop.get()) {
            int k = r.nextInt(settings.keysPerThread());
            String key = key(tid, k);
            int p = r.nextInt(100);
            useGateway(r.nextInt(clients.size()));
            Op op;
            if (p < 30) op = put(tid, key, r.nextLong(), size(r));
            else if (p < 36) op = mpu(tid, key, r.nextLong(), r);
            else if (p < 60) op = get(tid, key, false);
            else if (p < 75) {
                int s = knownSize[k];
                long start = s > 0 ? r.nextInt(s) : 0;
                int len = s > 0 ? 1 + r.nextInt((int) Math.min(s - start, 64 << 10)) : 1;
                op = rangeGet(tid, key, start, len, false);
            } else if (p < 86) op = delete(tid, key);
            else op = list(tid, false);
            history.add(op);
            if (op.type().write() && op.outcome() == Op.Outcome.OK)
                knownSize[k] = op.type() == Op.Type.DELETE ? 0 : op.size();
        }
    }

    private Op done(
            int tid,
            Op.Type type,
            String key,
            long start,
            Op.Outcome out,
            long seed,
            int size,
            String etag,
            String hash,
            long rangeStart,
            long total,
            Map<String, Op.Listed> listed,
            String err,
            boolean fin) {
        return new Op(
                history.nextId(),
                tid,
                type,
                key,
                start,
                System.nanoTime(),
                out,
                seed,
                size,
                etag,
                hash,
                rangeStart,
                total,
                listed,
                err,
                fin);
    }

    private static Op.Outcome outcomeOf(Exception e) {
        if (e instanceof S3Exception s) {
            if (s.statusCode() == 404) return Op.Outcome.NOT_FOUND;
            if (s.statusCode() == 416) return Op.Outcome.BAD_RANGE;
        }
        return Op.Outcome.FAIL;
    }

    private static String err(Exception e) {
        if (e instanceof S3Exception s) {
            String code =
                    s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            return s.statusCode() + " " + code;
        }
        String m = e.getMessage();
        if (m != null && m.length() > 120) m = m.substring(0, 120);
        return e.getClass().getSimpleName() + ": " + m;
    }

    Op put(int tid, String key, long seed, int size) {
        byte[] body = Content.bytes(seed, size);
        long t = System.nanoTime();
        try {
            String etag = s3().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body))
                    .eTag();
            return done(
                    tid,
                    Op.Type.PUT,
                    key,
                    t,
                    Op.Outcome.OK,
                    seed,
                    size,
                    Content.unquote(etag),
                    null,
                    0,
                    size,
                    null,
                    null,
                    false);
        } catch (Exception e) {
            return done(
                    tid, Op.Type.PUT, key, t, Op.Outcome.FAIL, seed, size, null, null, 0, size, null, err(e), false);
        }
    }

    Op mpu(int tid, String key, long seed, SplittableRandom r) {
        // with objects of a MiB or more, a quarter of the uploads have two parts (every part but the last is
        // at least 5 MiB); the others, and all of them with small objects, have one
        int size = settings.maxSize() >= (1 << 20) && r.nextInt(4) == 0
                ? MIN_PART + 1 + r.nextInt(1 << 20)
                : 1 + r.nextInt(Math.max(1, settings.maxSize()));
        byte[] body = Content.bytes(seed, size);
        long t = System.nanoTime();
        String uploadId = null;
        try {
            uploadId =
                    s3().createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
            List<CompletedPart> parts = new ArrayList<>();
            int off = 0, n = 1;
            while (off < size || n == 1) {
                int len = size - off > MIN_PART && n == 1 && size > MIN_PART ? MIN_PART : size - off;
                byte[] part = java.util.Arrays.copyOfRange(body, off, off + len);
                String id = uploadId;
                int pn = n;
                String etag = s3().uploadPart(
                                b -> b.bucket(bucket).key(key).uploadId(id).partNumber(pn), RequestBody.fromBytes(part))
                        .eTag();
                parts.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
                off += len;
                n++;
            }
            String id = uploadId;
            String etag = s3().completeMultipartUpload(
                            b -> b.bucket(bucket).key(key).uploadId(id).multipartUpload(m -> m.parts(parts)))
                    .eTag();
            return done(
                    tid,
                    Op.Type.MPU,
                    key,
                    t,
                    Op.Outcome.OK,
                    seed,
                    size,
                    Content.unquote(etag),
                    null,
                    0,
                    size,
                    null,
                    null,
                    false);
        } catch (Exception e) {
            Op op = done(
                    tid, Op.Type.MPU, key, t, Op.Outcome.FAIL, seed, size, null, null, 0, size, null, err(e), false);
            if (uploadId != null) {
                String id = uploadId;
                try {
                    s3().abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(id));
                } catch (Exception ignored) {
                    // best effort; the upload expires
                }
            }
            return op;
        }
    }

    Op delete(int tid, String key) {
        long t = System.nanoTime();
        try {
            s3().deleteObject(b -> b.bucket(bucket).key(key));
            return done(tid, Op.Type.DELETE, key, t, Op.Outcome.OK, 0, 0, null, null, 0, 0, null, null, false);
        } catch (Exception e) {
            return done(tid, Op.Type.DELETE, key, t, Op.Outcome.FAIL, 0, 0, null, null, 0, 0, null, err(e), false);
        }
    }

    Op get(int tid, String key, boolean fin) {
        long t = System.nanoTime();
        try {
            ResponseBytes<GetObjectResponse> rb =
                    s3().getObjectAsBytes(b -> b.bucket(bucket).key(key));
            byte[] b = rb.asByteArrayUnsafe();
            return done(
                    tid,
                    Op.Type.GET,
                    key,
                    t,
                    Op.Outcome.OK,
                    0,
                    b.length,
                    Content.unquote(rb.response().eTag()),
                    Content.sha256(b, 0, b.length),
                    0,
                    b.length,
                    null,
                    null,
                    fin);
        } catch (Exception e) {
            return done(tid, Op.Type.GET, key, t, outcomeOf(e), 0, 0, null, null, 0, 0, null, err(e), fin);
        }
    }

    Op rangeGet(int tid, String key, long start, int len, boolean fin) {
        long t = System.nanoTime();
        try {
            ResponseBytes<GetObjectResponse> rb = s3().getObjectAsBytes(
                            b -> b.bucket(bucket).key(key).range("bytes=" + start + "-" + (start + len - 1)));
            byte[] b = rb.asByteArrayUnsafe();
            String cr = rb.response().contentRange();
            long total = -1;
            long from = start;
            if (cr != null && cr.startsWith("bytes ")) {
                String[] parts = cr.substring(6).split("/");
                total = Long.parseLong(parts[1]);
                from = Long.parseLong(parts[0].split("-")[0]);
            }
            return done(
                    tid,
                    Op.Type.RANGE_GET,
                    key,
                    t,
                    Op.Outcome.OK,
                    0,
                    b.length,
                    Content.unquote(rb.response().eTag()),
                    Content.sha256(b, 0, b.length),
                    from,
                    total,
                    null,
                    cr == null ? "no Content-Range" : null,
                    fin);
        } catch (Exception e) {
            return done(tid, Op.Type.RANGE_GET, key, t, outcomeOf(e), 0, len, null, null, start, 0, null, err(e), fin);
        }
    }

    /** LIST of one thread's prefix, or with tid &lt; 0 of the whole bucket. */
    Op list(int tid, boolean fin) {
        long t = System.nanoTime();
        try {
            Map<String, Op.Listed> out = new TreeMap<>();
            var req = software.amazon.awssdk.services.s3.model.ListObjectsV2Request.builder()
                    .bucket(bucket)
                    .prefix(tid < 0 ? null : "t" + tid + "/")
                    .maxKeys(7)
                    .build();
            for (S3Object o : s3().listObjectsV2Paginator(req).contents()) {
                out.put(o.key(), new Op.Listed(o.size(), Content.unquote(o.eTag())));
            }
            return done(tid, Op.Type.LIST, null, t, Op.Outcome.OK, 0, 0, null, null, 0, 0, out, null, fin);
        } catch (Exception e) {
            return done(tid, Op.Type.LIST, null, t, Op.Outcome.FAIL, 0, 0, null, null, 0, 0, null, err(e), fin);
        }
    }
}
