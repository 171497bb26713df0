package io.basalt.gateway;

import io.basalt.core.data.StorageUnavailableException;
import io.basalt.core.meta.MetadataUnavailableException;
import io.basalt.core.placement.InsufficientNodesException;
import io.basalt.gateway.auth.BodyVerifier;
import io.basalt.gateway.auth.SigV4;
import io.basalt.gateway.handlers.AdminInfoHandler;
import io.basalt.gateway.handlers.BucketHandler;
import io.basalt.gateway.handlers.CopyObjectHandler;
import io.basalt.gateway.handlers.DeleteObjectHandler;
import io.basalt.gateway.handlers.DeleteObjectsHandler;
import io.basalt.gateway.handlers.GetObjectHandler;
import io.basalt.gateway.handlers.ListObjectsHandler;
import io.basalt.gateway.handlers.ListVersionsHandler;
import io.basalt.gateway.handlers.MultipartHandler;
import io.basalt.gateway.handlers.PutObjectHandler;
import io.basalt.gateway.handlers.S3Context;
import io.basalt.gateway.handlers.SubresourceHandler;
import io.basalt.gateway.s3.ClientBody;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpContinue;
import io.undertow.util.HttpString;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Authenticates every S3 request and sends it to the handler of its operation family.
 * Adding an S3 operation means one handler method and one line here.
 */
public final class S3Router implements HttpHandler {

    private static final Logger log = LogManager.getLogger(S3Router.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HttpString REQUEST_ID = HttpString.tryFromString("x-amz-request-id");

    private final SigV4 sigV4;
    private final BucketHandler buckets;
    private final PutObjectHandler puts;
    private final GetObjectHandler gets;
    private final DeleteObjectHandler deletes;
    private final ListObjectsHandler lists;
    private final MultipartHandler multipart;
    private final CopyObjectHandler copies;
    private final DeleteObjectsHandler batchDeletes;
    private final ListVersionsHandler versions;
    private final SubresourceHandler subresources;
    private final AdminInfoHandler admin;
    private final String domain;

    public S3Router(S3Context ctx, SigV4 sigV4, String ownerId) {
        this(ctx, sigV4, ownerId, null, null);
    }

    /** @param domain for virtual-hosted-style addressing, or null; @param admin MinIO's admin info API, or null */
    public S3Router(S3Context ctx, SigV4 sigV4, String ownerId, String domain, AdminInfoHandler admin) {
        this.domain = domain;
        this.admin = admin;
        this.copies = new CopyObjectHandler(ctx);
        this.batchDeletes = new DeleteObjectsHandler(ctx);
        this.versions = new ListVersionsHandler(ctx, ownerId);
        this.subresources = new SubresourceHandler(ctx, ownerId);
        this.sigV4 = sigV4;
        this.buckets = new BucketHandler(ctx, ownerId);
        this.puts = new PutObjectHandler(ctx);
        this.gets = new GetObjectHandler(ctx);
        this.deletes = new DeleteObjectHandler(ctx);
        this.lists = new ListObjectsHandler(ctx, ownerId);
        this.multipart = new MultipartHandler(ctx);
    }

    @Override
    public void handleRequest(HttpServerExchange ex) {
        String requestId = stamp(ex);
        S3Request req = null;
        try {
            req = S3Request.parse(ex, domain);
            SigV4.Verified auth = sigV4.verify(req);
            // Only an authenticated request is invited to send its body.
            if ("100-continue".equalsIgnoreCase(String.valueOf(req.header("Expect")).trim())) {
                HttpContinue.sendContinueResponseBlocking(ex);
            }
            req.body(BodyVerifier.wrap(new ClientBody(ex.getInputStream()), auth));
            dispatch(req);
        } catch (S3Exception e) {
            fail(ex, e, req, requestId);
        } catch (MetadataUnavailableException | InsufficientNodesException | StorageUnavailableException e) {
            log.warn("{} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.getMessage());
            fail(ex, new S3Exception(S3Error.SERVICE_UNAVAILABLE, e.getMessage()), req, requestId);
        } catch (Exception e) {
            S3Exception cause = findS3Cause(e);
            if (cause != null) {
                fail(ex, cause, req, requestId);
            } else if (bodyReadFailed(e) || e instanceof IOException && !ex.isRequestComplete()) {
                // Most often the client went away mid-body; nothing was committed.
                log.warn("{} {}: request body failed: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
                fail(ex, new S3Exception(S3Error.INCOMPLETE_BODY), req, requestId);
            } else {
                log.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
                fail(ex, new S3Exception(S3Error.INTERNAL_ERROR), req, requestId);
            }
        }
    }

    private void dispatch(S3Request req) throws Exception {
        String m = req.method();
        if (admin != null && AdminInfoHandler.isAdmin(req)) {
            admin.handle(req);
            return;
        }
        if (req.bucket() == null) {
            if (m.equals("GET")) {
                buckets.listBuckets(req);
                return;
            }
            throw new S3Exception(S3Error.METHOD_NOT_ALLOWED);
        }
        if (subresources.handle(req)) return;
        if (req.key() == null) {
            switch (m) {
                case "PUT" -> buckets.create(req);
                case "HEAD" -> buckets.head(req);
                case "DELETE" -> buckets.delete(req);
                case "GET" -> {
                    if (req.hasQuery("location")) buckets.location(req);
                    else if (req.hasQuery("uploads")) multipart.listUploads(req);
                    else if (req.hasQuery("versions")) versions.list(req);
                    else if ("2".equals(req.queryParam("list-type"))) lists.listV2(req);
                    else lists.listV1(req);
                }
                case "POST" -> {
                    if (req.hasQuery("delete")) batchDeletes.deleteObjects(req);
                    else throw new S3Exception(S3Error.METHOD_NOT_ALLOWED);
                }
                default -> throw new S3Exception(S3Error.METHOD_NOT_ALLOWED);
            }
            return;
        }
        switch (m) {
            case "PUT" -> {
                if (req.hasQuery("uploadId") && req.header("x-amz-copy-source") != null) multipart.uploadPartCopy(req);
                else if (req.hasQuery("uploadId")) multipart.uploadPart(req);
                else if (req.header("x-amz-copy-source") != null) copies.copy(req);
                else puts.put(req);
            }
            case "GET" -> {
                if (req.hasQuery("uploadId")) multipart.listParts(req);
                else gets.get(req);
            }
            case "HEAD" -> gets.head(req);
            case "DELETE" -> {
                if (req.hasQuery("uploadId")) multipart.abort(req);
                else deletes.delete(req);
            }
            case "POST" -> {
                if (req.hasQuery("uploads")) multipart.create(req);
                else if (req.hasQuery("uploadId")) multipart.complete(req);
                else throw new S3Exception(S3Error.METHOD_NOT_ALLOWED);
            }
            default -> throw new S3Exception(S3Error.METHOD_NOT_ALLOWED);
        }
    }

    private static void fail(HttpServerExchange ex, S3Exception e, S3Request req, String requestId) {
        if (ex.isResponseStarted()) {
            ex.setPersistent(false);
            return;
        }
        if (e.error().status() >= 500) log.warn("{} {} -> {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.error().code(), e.getMessage());
        drainOrClose(ex, req);
        String resource = req == null ? ex.getRequestPath() : "/" + (req.bucket() == null ? "" : req.bucket())
                + (req.key() == null ? "" : "/" + req.key());
        Responses.error(ex, e, resource, requestId);
    }

    /** Unread bodies up to this size are read and dropped before an authenticated error answer. */
    private static final long DRAIN_LIMIT = 32L << 20;

    /**
     * A client still sending its body when the error comes back sees only a broken pipe, never
     * the answer. For an authenticated request with a modest body, read the rest and drop it so
     * the client gets the S3 error (a 503 it can retry); otherwise close the connection after
     * answering, since unread bytes cannot be followed by another request.
     */
    private static void drainOrClose(HttpServerExchange ex, S3Request req) {
        if (ex.isRequestComplete()) return;
        boolean authenticated = req != null && req.body() != null;
        long length = ex.getRequestContentLength();
        if (authenticated && length >= 0 && length <= DRAIN_LIMIT) {
            try {
                ex.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                return;
            } catch (java.io.IOException | RuntimeException e) {
                // the client went away: nothing to answer on this connection anyway
            }
        }
        ex.setPersistent(false);
    }

    private static boolean bodyReadFailed(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ClientBody.ReadFailed) return true;
        }
        return false;
    }

    private static S3Exception findS3Cause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof S3Exception s) return s;
        }
        return null;
    }

    /**
     * Gives the exchange its x-amz-request-id (reusing one already set) and the Server header;
     * every response carries both, probes included.
     */
    static String stamp(HttpServerExchange ex) {
        String id = ex.getResponseHeaders().getFirst(REQUEST_ID);
        if (id == null) {
            id = requestId();
            ex.getResponseHeaders().put(REQUEST_ID, id);
        }
        // Never "MinIO": milvus-storage switches to MinIO-specific behaviour when it sees that.
        ex.getResponseHeaders().put(io.undertow.util.Headers.SERVER, "Basalt");
        return id;
    }

    private static String requestId() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b).toUpperCase();
    }
}
