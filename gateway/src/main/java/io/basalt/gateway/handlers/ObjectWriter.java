package io.basalt.gateway.handlers;

import io.basalt.core.data.SegmentEncoder.QuorumWrite;
import io.basalt.core.data.SegmentEncoder.Trailing;
import io.basalt.core.meta.BucketBusyException;
import io.basalt.core.meta.MetadataStore;
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
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.Segment;
import io.basalt.proto.meta.UploadRecord;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How PutObject, CopyObject, UploadPart and UploadPartCopy store bytes: first into a new shard
 * set ({@link #body} or {@link #copy}), then one metadata commit that makes them visible
 * ({@link #commitObject} or {@link #commitPart}). A body's commit starts once a write quorum of its
 * shards is durable, while the others finish; one of those left behind after the commit (failed,
 * or later than the grace) is queued for healing before the client is answered, or just after when
 * the node it waits for was found slow a moment ago. Shards that no
 * record will reference are discarded at once, when a check on the body or its headers fails or
 * the commit is refused; when the commit's outcome is unknown (etcd unreachable) they stay for the
 * coordinator's GC, as the record may exist.
 */
final class ObjectWriter {

    /**
     * Bytes durable on the storage nodes (a write quorum of their shards, the rest possibly still
     * {@code trailing}) that no record references yet, with the checksums they passed.
     */
    record Written(Segment segment, Map<String, String> checksums, Trailing trailing) {
        /** Waits for the shards beyond the quorum; returns those left behind. Once, where the write fails or its commit's outcome is unknown. */
        List<Integer> settle() {
            return trailing.await();
        }

        /**
         * Once the record naming the shards is committed, in place of {@link #settle}: queues those left behind for
         * healing, before the client is answered or, when every shard still out is on a node found slow a moment
         * ago, after ({@link io.basalt.core.data.DataPath#settle}).
         */
        void settleCommitted(S3Context ctx, String bucket, String key, String uploadId) {
            ctx.data().settle(trailing, shards -> ctx.reportLeftBehind(bucket, key, uploadId, segment, shards));
        }

        /** The ETag and checksums, as PutObject and UploadPart answer them. */
        void writeHeaders(HeaderMap out) {
            out.put(HttpString.tryFromString("ETag"), Responses.quoted(segment.getMd5Hex()));
            checksums.forEach((name, value) -> out.put(HttpString.tryFromString(name), value));
        }
    }

    private final S3Context ctx;
    private final ObjectCopier copier;
    private final RecentBuckets recentBuckets = new RecentBuckets();

    ObjectWriter(S3Context ctx) {
        this.ctx = ctx;
        this.copier = new ObjectCopier(ctx);
    }

    /**
     * NoSuchBucket before any byte is written, but without an etcd read for a bucket seen a moment ago:
     * {@link #commitObject}'s transaction checks the bucket again and is what decides.
     */
    void requireBucket(String bucket) {
        if (recentBuckets.seen(bucket)) return;
        ctx.requireBucket(bucket);
        recentBuckets.saw(bucket);
    }

    /** S3's limits: one PutObject or UploadPart body, and a whole (multipart) object. */
    static final long MAX_PUT_BYTES = 5L << 30;

    static final long MAX_OBJECT_BYTES = 5L << 40;

    private static S3Exception tooLarge() {
        return new S3Exception(
                S3Error.ENTITY_TOO_LARGE,
                "A single PUT or part is at most 5 GiB; use a multipart upload with more parts.");
    }

    /**
     * Ends a body that runs past {@link #MAX_PUT_BYTES} (one sent chunked, without a length to refuse
     * up front) with EntityTooLarge; the write then discards what it stored.
     */
    private static final class SizeCap extends java.io.FilterInputStream {
        private long read;

        SizeCap(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count(1);
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) count(n);
            return n;
        }

        private void count(int n) {
            read += n;
            if (read > MAX_PUT_BYTES) throw tooLarge();
        }
    }

    /** A body of unknown length is refused before anything is written. */
    static void requireLength(S3Request req) {
        String te = req.header("Transfer-Encoding");
        if (req.contentLength() < 0
                && (te == null || !te.toLowerCase(Locale.ROOT).contains("chunked"))) {
            throw new S3Exception(S3Error.MISSING_CONTENT_LENGTH);
        }
    }

    /**
     * Streams the request body into a new shard set. The signature checks run as it is read;
     * Content-MD5, the decoded length and any x-amz-checksum run once it has ended. A body declared up to
     * the small-object threshold is stored as copies ({@code Layouts}), a part's as an object's: Milvus
     * 2.6 writes every segment file, small ones too, as a multipart upload, and each segment of an object
     * is read by its own layout.
     */
    Written body(S3Request req) throws IOException {
        byte[] contentMd5 = contentMd5(req.header("Content-MD5"));
        long declared = declaredLength(req);
        if (declared > MAX_PUT_BYTES) throw tooLarge();
        InputStream checked = RequestChecksum.wrap(req);
        // The record is committed while the shards beyond the quorum finish (commitObject, commitPart).
        QuorumWrite write = ctx.data().writeToQuorum(new SizeCap(checked), declared);
        Segment seg = write.segment();
        try {
            if (contentMd5 != null && !HexFormat.of().formatHex(contentMd5).equals(seg.getMd5Hex())) {
                throw new S3Exception(S3Error.BAD_DIGEST);
            }
            // compared as text: a client's non-number is a mismatch (400), not a NumberFormatException (500)
            String decoded = req.header("X-Amz-Decoded-Content-Length");
            if (decoded != null
                    && req.body() instanceof AwsChunkedInputStream
                    && !decoded.trim().equals(String.valueOf(seg.getSize()))) {
                throw new S3Exception(S3Error.INCOMPLETE_BODY);
            }
        } catch (RuntimeException e) {
            write.trailing().await();
            ctx.data().discard(seg);
            throw e;
        }
        Map<String, String> checksums = checked instanceof ChecksumVerifyingInputStream c
                ? Map.of(c.algorithm().header(), c.value())
                : Map.of();
        return new Written(seg, checksums, write.trailing());
    }

    /**
     * The body's length as the client declared it before sending, -1 when unknown: the decoded
     * length of an aws-chunked body (its Content-Length counts the chunk framing too, so it is an
     * upper bound when the decoded length is absent), else Content-Length (absent when chunked).
     * A body that turns out longer than declared is refused after it was read (IncompleteBody).
     */
    static long declaredLength(S3Request req) {
        String decoded = req.header("X-Amz-Decoded-Content-Length");
        if (decoded != null && req.body() instanceof AwsChunkedInputStream) {
            try {
                return Math.max(-1, Long.parseLong(decoded.trim()));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return req.contentLength();
    }

    /** Copies bytes [offset, offset+length) of an existing object into a new shard set. */
    Written copy(ObjectRecord source, CopySource src, long offset, long length) throws IOException {
        return new Written(copier.copy(source, src, offset, length), Map.of(), Trailing.NONE);
    }

    /**
     * Commits the written bytes as the new version of the request's object; {@code metadata}
     * adds its content type and headers. Returns the record committed.
     */
    /** A committed object version: its record and its S3 version id (null in an unversioned bucket). */
    record Committed(ObjectRecord record, String versionId) {}

    Committed commitObject(
            S3Request req, Written written, Consumer<ObjectRecord.Builder> metadata, PutCondition condition) {
        Segment seg = written.segment();
        ObjectRecord.Builder rec = ObjectRecord.newBuilder()
                .setVersionId(seg.getShardSet())
                .setSize(seg.getSize())
                .setEtag(seg.getMd5Hex())
                .setModifiedUnixMs(System.currentTimeMillis())
                .addSegments(seg)
                .putAllChecksums(written.checksums());
        try {
            // its checks ran before the body (checkSize); should one refuse here, hold no memory and no shards
            metadata.accept(rec);
        } catch (RuntimeException e) {
            written.settle();
            ctx.data().discard(seg);
            throw e;
        }
        ObjectRecord record = rec.build();
        MetadataStore.PutResult result;
        try {
            result = ctx.meta().put(req.bucket(), req.key(), record, condition);
        } catch (BucketBusyException e) {
            written.settle();
            ctx.data().discard(seg); // refused, not merely unknown: nothing references the shards
            throw e;
        } catch (RuntimeException e) {
            // unknown: the record may exist; a shard left behind is then the orphan sweep's to find
            written.settle();
            throw e;
        }
        if (result.outcome() != PutOutcome.COMMITTED) {
            written.settle();
            ctx.data().discard(seg);
            if (result.outcome() == PutOutcome.NO_SUCH_BUCKET) recentBuckets.forget(req.bucket());
            throw new S3Exception(
                    switch (result.outcome()) {
                        case NO_SUCH_BUCKET -> S3Error.NO_SUCH_BUCKET;
                        case NO_SUCH_KEY -> S3Error.NO_SUCH_KEY;
                        default -> S3Error.PRECONDITION_FAILED;
                    });
        }
        written.settleCommitted(ctx, req.bucket(), req.key(), "");
        Responses.versionId(req.exchange(), result.versionId());
        return new Committed(record, result.versionId());
    }

    /** Commits the written bytes as part {@code partNumber} of an upload. Returns the part committed. */
    PartRecord commitPart(UploadRecord upload, int partNumber, Written written) {
        Segment seg = written.segment();
        PartRecord part = PartRecord.newBuilder()
                .setPartNumber(partNumber)
                .setModifiedUnixMs(System.currentTimeMillis())
                .setSegment(seg)
                .putAllChecksums(written.checksums())
                .build();
        boolean recorded;
        try {
            recorded = ctx.meta().putPart(upload, part);
        } catch (RuntimeException e) {
            written.settle(); // unknown, as for an object
            throw e;
        }
        if (!recorded) {
            written.settle();
            ctx.data().discard(seg);
            throw new S3Exception(S3Error.NO_SUCH_UPLOAD);
        }
        written.settleCommitted(ctx, upload.getBucket(), upload.getKey(), upload.getUploadId());
        return part;
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
