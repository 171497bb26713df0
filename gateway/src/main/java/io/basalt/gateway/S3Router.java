package io.basalt.gateway;

import io.basalt.core.data.BodyMemory;
import io.basalt.core.data.StorageFullException;
import io.basalt.core.data.StorageUnavailableException;
import io.basalt.core.meta.BucketBusyException;
import io.basalt.core.meta.MetadataUnavailableException;
import io.basalt.core.meta.VersionIds;
import io.basalt.core.placement.InsufficientNodesException;
import io.basalt.gateway.auth.BodyVerifier;
import io.basalt.gateway.auth.Permissions;
import io.basalt.gateway.auth.SigV4;
import io.basalt.gateway.handlers.AdminInfoHandler;
import io.basalt.gateway.handlers.BucketHandler;
import io.basalt.gateway.handlers.BucketPolicyHandler;
import io.basalt.gateway.handlers.CopyObjectHandler;
import io.basalt.gateway.handlers.DeleteObjectHandler;
import io.basalt.gateway.handlers.DeleteObjectsHandler;
import io.basalt.gateway.handlers.GetObjectHandler;
import io.basalt.gateway.handlers.LifecycleHandler;
import io.basalt.gateway.handlers.ListObjectsHandler;
import io.basalt.gateway.handlers.ListVersionsHandler;
import io.basalt.gateway.handlers.MultipartHandler;
import io.basalt.gateway.handlers.PutObjectHandler;
import io.basalt.gateway.handlers.S3Context;
import io.basalt.gateway.handlers.SubresourceHandler;
import io.basalt.gateway.handlers.TaggingHandler;
import io.basalt.gateway.handlers.VersioningHandler;
import io.basalt.gateway.s3.ClientBody;
import io.basalt.gateway.s3.HttpDates;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Operation;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.UnhonouredHeaders;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpContinue;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Authenticates every S3 request, runs the handler of its operation (named by {@link S3Operation}'s
 * table) and turns whatever goes wrong into an S3 error answer.
 */
public final class S3Router implements HttpHandler {

    private static final Logger log = LogManager.getLogger(S3Router.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HttpString REQUEST_ID = HttpString.tryFromString("x-amz-request-id");

    private final SigV4 sigV4;
    private final Permissions permissions;
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
    private final BucketPolicyHandler policies;
    private final TaggingHandler tagging;
    private final LifecycleHandler lifecycle;
    private final VersioningHandler versioning;
    private final AdminInfoHandler admin;
    private final String domain;
    private final GatewayMetrics metrics;

    public S3Router(S3Context ctx, SigV4 sigV4, String ownerId) {
        this(ctx, sigV4, ownerId, null, null, new GatewayMetrics());
    }

    /** @param domain for virtual-hosted-style addressing, or null; @param admin MinIO's admin info API, or null */
    S3Router(
            S3Context ctx, SigV4 sigV4, String ownerId, String domain, AdminInfoHandler admin, GatewayMetrics metrics) {
        this.metrics = metrics;
        this.domain = domain;
        this.admin = admin;
        this.copies = new CopyObjectHandler(ctx);
        this.batchDeletes = new DeleteObjectsHandler(ctx);
        this.versions = new ListVersionsHandler(ctx, ownerId);
        this.subresources = new SubresourceHandler(ctx, ownerId);
        this.policies = new BucketPolicyHandler(ctx);
        this.tagging = new TaggingHandler(ctx);
        this.lifecycle = new LifecycleHandler(ctx);
        this.versioning = new VersioningHandler(ctx);
        this.sigV4 = sigV4;
        this.permissions = ctx.permissions();
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
            S3Operation op = S3Operation.of(req, admin != null);
            tracked.operation(op.label());
            SigV4.Verified auth = sigV4.verify(req);
            req.accessKeyId(auth.accessKey());
            permissions.require(req, op);
            UnhonouredHeaders.refuse(req);
            // Only an authenticated request is invited to send its body.
            if ("100-continue"
                    .equalsIgnoreCase(String.valueOf(req.header("Expect")).trim())) {
                HttpContinue.sendContinueResponseBlocking(ex);
            }
            req.body(BodyVerifier.wrap(
                    new ClientBody(tracked.count(ex.getInputStream()), ex.getRequestContentLength()), auth));
            if (req.key() != null && op != S3Operation.ADMIN_INFO) requireKnownVersionShape(req);
            action(op).handle(req);
        } catch (S3Exception e) {
            fail(ex, e, req, requestId, tracked);
        } catch (BucketBusyException e) {
            log.info("{} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.getMessage());
            fail(ex, new S3Exception(S3Error.OPERATION_ABORTED), req, requestId, tracked);
        } catch (BodyMemory.Exhausted e) {
            log.info("{} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.getMessage());
            fail(ex, new S3Exception(S3Error.SLOW_DOWN), req, requestId, tracked);
        } catch (StorageFullException e) {
            log.warn("{} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.getMessage());
            fail(ex, new S3Exception(S3Error.STORAGE_FULL), req, requestId, tracked);
        } catch (MetadataUnavailableException | InsufficientNodesException | StorageUnavailableException e) {
            log.warn("{} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.getMessage());
            fail(ex, new S3Exception(S3Error.SERVICE_UNAVAILABLE, e.getMessage()), req, requestId, tracked);
        } catch (Exception e) {
            S3Exception cause = findS3Cause(e);
            if (cause != null) {
                fail(ex, cause, req, requestId, tracked);
            } else if (bodyReadFailed(e) || e instanceof IOException && !ex.isRequestComplete()) {
                // Most often the client went away mid-body; nothing was committed.
                log.warn("{} {}: request body failed: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
                fail(ex, new S3Exception(S3Error.INCOMPLETE_BODY), req, requestId, tracked);
            } else {
                log.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
                fail(ex, new S3Exception(S3Error.INTERNAL_ERROR), req, requestId, tracked);
            }
        }
    }

    /** A handler method. */
    @FunctionalInterface
    private interface Action {
        void handle(S3Request req) throws Exception;
    }

    /** The handler method of each operation of {@link S3Operation}'s table. */
    private Action action(S3Operation op) {
        return switch (op) {
            case ADMIN_INFO -> admin::handle;
            case LIST_BUCKETS -> buckets::listBuckets;

            case CREATE_BUCKET -> buckets::create;
            case HEAD_BUCKET -> buckets::head;
            case DELETE_BUCKET -> buckets::delete;
            case GET_BUCKET_LOCATION -> buckets::location;
            case LIST_OBJECTS -> lists::listV1;
            case LIST_OBJECTS_V2 -> lists::listV2;
            case LIST_OBJECT_VERSIONS -> versions::list;
            case LIST_MULTIPART_UPLOADS -> multipart::listUploads;
            case DELETE_OBJECTS -> batchDeletes::deleteObjects;

            case PUT_OBJECT -> puts::put;
            case COPY_OBJECT -> copies::copy;
            case GET_OBJECT -> gets::get;
            case HEAD_OBJECT -> gets::head;
            case DELETE_OBJECT -> deletes::delete;
            case CREATE_MULTIPART_UPLOAD -> multipart::create;
            case UPLOAD_PART -> multipart::uploadPart;
            case UPLOAD_PART_COPY -> multipart::uploadPartCopy;
            case LIST_PARTS -> multipart::listParts;
            case COMPLETE_MULTIPART_UPLOAD -> multipart::complete;
            case ABORT_MULTIPART_UPLOAD -> multipart::abort;
            case GET_OBJECT_TAGGING -> tagging::get;
            case PUT_OBJECT_TAGGING -> tagging::put;
            case DELETE_OBJECT_TAGGING -> tagging::delete;

            case GET_BUCKET_POLICY -> policies::get;
            case PUT_BUCKET_POLICY -> policies::put;
            case DELETE_BUCKET_POLICY -> policies::delete;
            case GET_BUCKET_LIFECYCLE -> lifecycle::get;
            case PUT_BUCKET_LIFECYCLE -> lifecycle::put;
            case DELETE_BUCKET_LIFECYCLE -> lifecycle::delete;

            case GET_BUCKET_VERSIONING -> versioning::get;
            case PUT_BUCKET_VERSIONING -> versioning::put;
            case GET_BUCKET_ACL -> subresources::bucketAcl;
            case GET_OBJECT_ACL -> subresources::objectAcl;
            case PUT_BUCKET_ACL -> subresources::putBucketAcl;
            case PUT_OBJECT_ACL -> subresources::putObjectAcl;
            case GET_BUCKET_TAGGING -> subresources::bucketTagging;
            case GET_BUCKET_CORS -> subresources::bucketCors;
            case GET_BUCKET_ENCRYPTION -> subresources::bucketEncryption;
            case GET_OBJECT_LOCK_CONFIGURATION -> subresources::objectLockConfiguration;

            case NOT_IMPLEMENTED -> SubresourceHandler::notImplemented;
            case NOT_ALLOWED ->
                req -> {
                    throw new S3Exception(S3Error.METHOD_NOT_ALLOWED);
                };
        };
    }

    /** A version id Basalt never made names no version, whatever the bucket. */
    private static void requireKnownVersionShape(S3Request req) {
        String versionId = req.queryParam("versionId");
        if (versionId != null && !VersionIds.wellFormed(versionId)) throw new S3Exception(S3Error.NO_SUCH_VERSION);
    }

    private static void fail(
            HttpServerExchange ex, S3Exception e, S3Request req, String requestId, GatewayMetrics.Request tracked) {
        if (ex.isResponseStarted()) {
            ex.setPersistent(false);
            return;
        }
        tracked.error(e.error().code());
        if (e.error().status() >= 500)
            log.warn(
                    "{} {} -> {}: {}",
                    ex.getRequestMethod(),
                    ex.getRequestURI(),
                    e.error().code(),
                    e.getMessage());
        drainOrClose(ex, req);
        String resource = req == null
                ? ex.getRequestPath()
                : "/" + (req.bucket() == null ? "" : req.bucket()) + (req.key() == null ? "" : "/" + req.key());
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
