package io.basalt.gateway.handlers;

import io.basalt.core.meta.BucketBusyException;
import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.meta.MetadataStore.PutOutcome;
import io.basalt.gateway.auth.AwsChunkedInputStream;
import io.basalt.gateway.checksum.ChecksumVerifyingInputStream;
import io.basalt.gateway.checksum.RequestChecksum;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;

import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * PutObject: the body is erasure-coded onto the storage nodes as it arrives; only when every
 * shard is durable and every check on the body has passed is the record committed in etcd.
 * A failure anywhere before that leaves nothing visible.
 */
public final class PutObjectHandler {

    private final S3Context ctx;
    private final RecentBuckets recentBuckets = new RecentBuckets();

    public PutObjectHandler(S3Context ctx) {
        this.ctx = ctx;
    }

    public void put(S3Request req) throws IOException {
        S3Context.checkKey(req.key());
        ObjectHeaders.checkSize(req);
        // Saves small PUTs an etcd round trip; putObject's transaction re-checks the bucket.
        if (!recentBuckets.seen(req.bucket())) {
            ctx.requireBucket(req.bucket());
            recentBuckets.saw(req.bucket());
        }
        requireLength(req);
        boolean ifNoneMatch = "*".equals(req.header("If-None-Match"));
        if (ifNoneMatch && ctx.meta().getObject(req.bucket(), req.key()).isPresent()) {
            throw new S3Exception(S3Error.PRECONDITION_FAILED);
        }
        StoredBody body = writeBody(ctx, req);
        Segment seg = body.segment();
        ObjectRecord.Builder rec = ObjectRecord.newBuilder()
                .setVersionId(seg.getShardSet())
                .setSize(seg.getSize())
                .setEtag(seg.getMd5Hex())
                .setModifiedUnixMs(System.currentTimeMillis())
                .addSegments(seg)
                .putAllChecksums(body.checksums());
        ObjectHeaders.capture(req, rec);
        try {
            commit(ctx, req, rec.build(), new PutCondition(ifNoneMatch));
        } catch (S3Exception e) {
            if (e.error() == S3Error.NO_SUCH_BUCKET) recentBuckets.forget(req.bucket());
            throw e;
        }
        body.writeHeaders(req.exchange().getResponseHeaders());
        Responses.empty(req.exchange(), 200);
    }

    /** Commits the record of a new object version; its shards are discarded if it is refused. */
    static void commit(S3Context ctx, S3Request req, ObjectRecord record, PutCondition condition) {
        Segment seg = record.getSegments(0);
        PutOutcome outcome;
        try {
            outcome = ctx.meta().putObject(req.bucket(), req.key(), record, condition);
        } catch (BucketBusyException e) {
            ctx.data().discard(seg); // refused, not merely unknown: nothing references the shards
            throw e;
        }
        if (outcome != PutOutcome.COMMITTED) {
            ctx.data().discard(seg);
            throw new S3Exception(outcome == PutOutcome.NO_SUCH_BUCKET ? S3Error.NO_SUCH_BUCKET : S3Error.PRECONDITION_FAILED);
        }
    }

    /** A body now durable on the storage nodes, with the checks it passed. */
    record StoredBody(Segment segment, Map<String, String> checksums) {
        void writeHeaders(HeaderMap out) {
            out.put(HttpString.tryFromString("ETag"), Responses.quoted(segment.getMd5Hex()));
            checksums.forEach((name, value) -> out.put(HttpString.tryFromString(name), value));
        }
    }

    /** Streams the body into a new shard set and runs the body checks; shards are discarded if one fails. */
    static StoredBody writeBody(S3Context ctx, S3Request req) throws IOException {
        byte[] contentMd5 = contentMd5(req.header("Content-MD5"));
        InputStream body = RequestChecksum.wrap(req);
        Segment seg = ctx.data().write(body);
        try {
            if (contentMd5 != null && !HexFormat.of().formatHex(contentMd5).equals(seg.getMd5Hex())) {
                throw new S3Exception(S3Error.BAD_DIGEST);
            }
            // compared as text: a client's non-number is a mismatch (400), not a NumberFormatException (500)
            String decoded = req.header("X-Amz-Decoded-Content-Length");
            if (decoded != null && req.body() instanceof AwsChunkedInputStream && !decoded.trim().equals(String.valueOf(seg.getSize()))) {
                throw new S3Exception(S3Error.INCOMPLETE_BODY);
            }
        } catch (RuntimeException e) {
            ctx.data().discard(seg);
            throw e;
        }
        Map<String, String> checksums = body instanceof ChecksumVerifyingInputStream c
                ? Map.of(c.algorithm().header(), c.value()) : Map.of();
        return new StoredBody(seg, checksums);
    }

    static void requireLength(S3Request req) {
        String te = req.header("Transfer-Encoding");
        if (req.contentLength() < 0 && (te == null || !te.toLowerCase(Locale.ROOT).contains("chunked"))) {
            throw new S3Exception(S3Error.MISSING_CONTENT_LENGTH);
        }
    }

    private static byte[] contentMd5(String header) {
        if (header == null) return null;
        try {
            byte[] md5 = Base64.getDecoder().decode(header.trim());
            if (md5.length != 16) throw new S3Exception(S3Error.INVALID_DIGEST);
            return md5;
        } catch (IllegalArgumentException e) {
            throw new S3Exception(S3Error.INVALID_DIGEST);
        }
    }
}
