package io.basalt.gateway;

import io.basalt.core.data.StorageUnavailableException;
import io.basalt.core.meta.BucketBusyException;
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
import io.basalt.gateway.s3.HttpDates;
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
    private final GatewayMetrics metrics;

    public S3Router(S3Context ctx, SigV4 sigV4, String ownerId) {
        this(ctx, sigV4, ownerId, null, null, new GatewayMetrics());
    }

    /** @param domain for virtual-hosted-style addressing, or null; @param admin MinIO's admin info API, or null */
    S3Router(S3Context ctx, SigV4 sigV4, String ownerId, String domain, AdminInfoHandler admin, GatewayMetrics metrics) {
        this.metrics = metrics;
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
        GatewayMetrics.Request tracked = metrics.begin(ex);
        S3Request req = null;
        try {
            req = S3Request.parse(ex, domain);
            Route route = route(req);
            tracked.operation(route.operation());
            SigV4.Verified auth = sigV4.verify(req);
            // Only an authenticated request is invited to send its body.
            if ("100-continue".equalsIgnoreCase(String.valueOf(req.header("Expect")).trim())) {
                HttpContinue.sendContinueResponseBlocking(ex);
            }
            req.body(BodyVerifier.wrap(new ClientBody(tracked.count(ex.getInputStream())), auth));
            dispatch(req, route);
        } catch (S3Exception e) {
            fail(ex, e, req, requestId);
        } catch (BucketBusyException e) {
            log.info("{} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.getMessage());
            fail(ex, new S3Exception(S3Error.OPERATION_ABORTED), req, requestId);
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

    /** A handler method of the router. */
    @FunctionalInterface
    private interface Action {
        void handle(S3Request req) throws Exception;
    }

    /** The S3 operation a request is (its metrics label) and the handler that serves it. */
    private record Route(String operation, Action action) {}

    private void dispatch(S3Request req, Route route) throws Exception {
        // Subresources go first so that PUT /b?policy never creates a bucket; the admin API and
        // ListBuckets name no bucket and so are never subresource requests.
        boolean adminApi = admin != null && AdminInfoHandler.isAdmin(req);
        if (req.bucket() != null && !adminApi && subresources.handle(req)) return;
        route.action().handle(req);
    }

    /** Which operation a request is; decides only, runs nothing. */
    private Route route(S3Request req) {
        if (admin != null && AdminInfoHandler.isAdmin(req)) return new Route("AdminInfo", admin::handle);
        if (req.bucket() == null) {
            return req.method().equals("GET") ? new Route("ListBuckets", buckets::listBuckets) : notAllowed();
        }
        Route plain = bucketOrObjectRoute(req);
        // answered by the subresource handler in dispatch; the plain action only if it declines
        return SubresourceHandler.serves(req) ? new Route("Subresource", plain.action()) : plain;
    }

    private Route bucketOrObjectRoute(S3Request req) {
        String m = req.method();
        if (req.key() == null) {
            return switch (m) {
                case "PUT" -> new Route("CreateBucket", buckets::create);
                case "HEAD" -> new Route("HeadBucket", buckets::head);
                case "DELETE" -> new Route("DeleteBucket", buckets::delete);
                case "GET" -> {
                    if (req.hasQuery("location")) yield new Route("GetBucketLocation", buckets::location);
                    else if (req.hasQuery("uploads")) yield new Route("ListMultipartUploads", multipart::listUploads);
                    else if (req.hasQuery("versions")) yield new Route("ListObjectVersions", versions::list);
                    else if ("2".equals(req.queryParam("list-type"))) yield new Route("ListObjectsV2", lists::listV2);
                    else yield new Route("ListObjects", lists::listV1);
                }
                case "POST" -> req.hasQuery("delete") ? new Route("DeleteObjects", batchDeletes::deleteObjects)
                        : notAllowed();
                default -> notAllowed();
            };
        }
        return switch (m) {
            case "PUT" -> {
                if (req.hasQuery("uploadId") && req.header("x-amz-copy-source") != null) {
                    yield new Route("UploadPartCopy", multipart::uploadPartCopy);
                } else if (req.hasQuery("uploadId")) yield new Route("UploadPart", multipart::uploadPart);
                else if (req.header("x-amz-copy-source") != null) yield new Route("CopyObject", copies::copy);
                else yield new Route("PutObject", puts::put);
            }
            case "GET" -> req.hasQuery("uploadId") ? new Route("ListParts", multipart::listParts)
                    : new Route("GetObject", gets::get);
            case "HEAD" -> new Route("HeadObject", gets::head);
            case "DELETE" -> req.hasQuery("uploadId") ? new Route("AbortMultipartUpload", multipart::abort)
                    : new Route("DeleteObject", deletes::delete);
            case "POST" -> {
                if (req.hasQuery("uploads")) yield new Route("CreateMultipartUpload", multipart::create);
                else if (req.hasQuery("uploadId")) yield new Route("CompleteMultipartUpload", multipart::complete);
                else yield notAllowed();
            }
            default -> notAllowed();
        };
    }

    private static Route notAllowed() {
        return new Route("Unknown", r -> { throw new S3Exception(S3Error.METHOD_NOT_ALLOWED); });
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
        ex.getResponseHeaders().put(io.undertow.util.Headers.DATE, HttpDates.format(System.currentTimeMillis()));
        return id;
    }

    private static String requestId() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().withUpperCase().formatHex(b);
    }
}
