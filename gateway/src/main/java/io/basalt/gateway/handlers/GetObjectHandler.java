package io.basalt.gateway.handlers;

import io.basalt.core.meta.MetadataStore;
import io.basalt.core.shard.BufferSink;
import io.basalt.gateway.s3.ByteRange;
import io.basalt.gateway.s3.Conditions;
import io.basalt.gateway.s3.HttpDates;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.proto.meta.ObjectRecord;
import io.undertow.io.BufferWritableOutputStream;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** GetObject and HeadObject, with Range and conditional requests. */
public final class GetObjectHandler {

    private static final Logger log = LogManager.getLogger(GetObjectHandler.class);

    /** One per worker thread that served a GET: written out before the next use, never kept by Undertow. */
    private static final ThreadLocal<ByteBuffer> STAGING =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(64 << 10));

    private final S3Context ctx;

    public GetObjectHandler(S3Context ctx) {
        this.ctx = ctx;
    }

    public void get(S3Request req) throws IOException {
        serve(req, true);
    }

    public void head(S3Request req) throws IOException {
        serve(req, false);
    }

    /**
     * GET/HEAD ?partNumber=N (the SDKs' multipart download): the bytes of part N of a multipart
     * object, or the whole object as part 1 of a single-part one.
     */
    private static ByteRange partRange(S3Request req, ObjectRecord obj) {
        if (req.header("Range") != null) {
            throw new S3Exception(
                    S3Error.INVALID_REQUEST, "Cannot specify both Range header and partNumber query parameter");
        }
        int n;
        try {
            n = Integer.parseInt(req.queryParam("partNumber").trim());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > 10_000)
            throw new S3Exception(
                    S3Error.INVALID_ARGUMENT, "Part number must be an integer between 1 and 10000, inclusive");
        int parts = partsCount(obj);
        if (parts == 0) {
            if (n != 1) throw new S3Exception(S3Error.INVALID_PART_NUMBER);
            return null;
        }
        if (n > parts) throw new S3Exception(S3Error.INVALID_PART_NUMBER);
        req.exchange()
                .getResponseHeaders()
                .put(HttpString.tryFromString("x-amz-mp-parts-count"), String.valueOf(parts));
        long offset = 0;
        for (int i = 0; i < n - 1; i++) offset += obj.getSegments(i).getSize();
        long length = obj.getSegments(n - 1).getSize();
        return length == 0 ? null : new ByteRange(offset, length);
    }

    /**
     * Writes direct views (the transport's buffers the shards arrived in) to the socket as they
     * are, in one gathering write per run of them. Heap views (decoded stripes) are copied through
     * this thread's direct buffer: a heap buffer handed to the socket would be copied whole into a
     * temporary direct buffer on every partial write, and Undertow's write(byte[]) would copy into
     * 16 KiB pool buffers.
     */
    private static void write(BufferWritableOutputStream out, ByteBuffer[] views) throws IOException {
        int run = 0; // views[run, i) are direct and not written yet
        for (int i = 0; i <= views.length; i++) {
            if (i < views.length && views[i].isDirect()) continue;
            if (i > run) out.write(run == 0 && i == views.length ? views : Arrays.copyOfRange(views, run, i));
            if (i < views.length) stage(out, views[i]);
            run = i + 1;
        }
    }

    private static void stage(BufferWritableOutputStream out, ByteBuffer v) throws IOException {
        ByteBuffer staging = STAGING.get();
        for (int at = v.position(); at < v.limit(); ) {
            int n = Math.min(staging.capacity(), v.limit() - at);
            staging.clear().put(0, v, at, n).limit(n);
            out.write(staging);
            at += n;
        }
    }

    /** The number of parts of a multipart object (its ETag ends in -N), 0 for a single PUT. */
    static int partsCount(ObjectRecord obj) {
        int dash = obj.getEtag().lastIndexOf('-');
        return dash < 0 ? 0 : obj.getSegmentsCount();
    }

    /** The version a GET or HEAD names: the current one, or {@code versionId}'s. */
    private ObjectRecord find(S3Request req) {
        String versionId = req.queryParam("versionId");
        HttpServerExchange ex = req.exchange();
        if (versionId == null) {
            Optional<ObjectRecord> current = ctx.meta().getObject(req.bucket(), req.key());
            if (current.isPresent()) return current.get();
            ctx.requireBucket(req.bucket());
            // a miss in a versioned bucket may be a delete marker on top, which S3 names
            ctx.meta()
                    .getVersion(req.bucket(), req.key(), null)
                    .filter(ObjectRecord::getDeleteMarker)
                    .ifPresent(m -> Responses.deleteMarker(ex, MetadataStore.s3VersionId(m)));
            throw new S3Exception(S3Error.NO_SUCH_KEY);
        }
        ObjectRecord v = ctx.meta()
                .getVersion(req.bucket(), req.key(), versionId)
                .orElseThrow(() -> {
                    ctx.requireBucket(req.bucket());
                    return new S3Exception(S3Error.NO_SUCH_VERSION);
                });
        if (v.getDeleteMarker()) {
            // S3: a delete marker has no data to GET or HEAD
            Responses.deleteMarker(ex, versionId);
            ex.getResponseHeaders()
                    .put(HttpString.tryFromString("Last-Modified"), HttpDates.format(v.getModifiedUnixMs()));
            throw new S3Exception(
                    S3Error.METHOD_NOT_ALLOWED, "The specified method is not allowed against a delete marker.");
        }
        return v;
    }

    private void serve(S3Request req, boolean withBody) throws IOException {
        // An object implies its bucket (a bucket is deleted only when empty), so the bucket is
        // looked up only to tell NoSuchBucket from NoSuchKey: one etcd read per hit, not two.
        ObjectRecord obj = find(req);
        HttpServerExchange ex = req.exchange();
        if (obj.getVersioned() || req.queryParam("versionId") != null) {
            Responses.versionId(ex, MetadataStore.s3VersionId(obj));
        }
        if (Conditions.check(req, obj) == Conditions.Outcome.NOT_MODIFIED) {
            ex.getResponseHeaders().put(HttpString.tryFromString("ETag"), Responses.quoted(obj.getEtag()));
            ex.getResponseHeaders()
                    .put(HttpString.tryFromString("Last-Modified"), HttpDates.format(obj.getModifiedUnixMs()));
            Responses.empty(ex, 304);
            return;
        }
        ByteRange range;
        if (req.queryParam("partNumber") != null) {
            range = partRange(req, obj);
        } else {
            try {
                range = ByteRange.parse(req.header("Range"), obj.getSize());
            } catch (S3Exception e) {
                ex.getResponseHeaders().put(Headers.CONTENT_RANGE, "bytes */" + obj.getSize());
                throw e;
            }
        }
        ObjectHeaders.write(obj, ex.getResponseHeaders());
        // A stored checksum covers the whole object, so it is only sent with the whole object.
        if (range == null && "ENABLED".equalsIgnoreCase(req.header("x-amz-checksum-mode"))) {
            obj.getChecksumsMap()
                    .forEach((name, value) -> ex.getResponseHeaders().put(HttpString.tryFromString(name), value));
        }
        long offset = 0, length = obj.getSize();
        if (range != null) {
            offset = range.start();
            length = range.length();
            ex.setStatusCode(206);
            ex.getResponseHeaders()
                    .put(Headers.CONTENT_RANGE, "bytes " + range.start() + "-" + range.end() + "/" + obj.getSize());
        } else {
            ex.setStatusCode(200);
        }
        ex.setResponseContentLength(length);
        if (!withBody || length == 0) return;
        OutputStream out = ex.getOutputStream();
        BufferSink sink =
                out instanceof BufferWritableOutputStream buffers ? views -> write(buffers, views) : BufferSink.of(out);
        try {
            ctx.data()
                    .read(
                            obj,
                            offset,
                            length,
                            sink,
                            (seg, shard) -> ctx.reportCorrupt(req.bucket(), req.key(), seg, shard));
            out.flush();
        } catch (IOException | RuntimeException e) {
            if (!ex.isResponseStarted()) {
                ex.getResponseHeaders().clear();
                log.warn("GET {}/{} failed: {}", req.bucket(), req.key(), e.toString());
                throw new S3Exception(S3Error.SERVICE_UNAVAILABLE, "Object temporarily unreadable: " + e.getMessage());
            }
            // Headers are gone: the only honest signal left is a connection cut short of Content-Length.
            log.warn("GET {}/{} failed after the response started: {}", req.bucket(), req.key(), e.toString());
            ex.setPersistent(false);
            ex.getConnection().close();
        }
    }
}
