package io.basalt.gateway.handlers;

import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.core.meta.MetadataStore.PutOutcome;
import io.basalt.gateway.s3.Conditions;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * CopyObject. The bytes are read from the source and re-encoded into a new shard set, never
 * shared: GC deletes a replaced version's shard sets, so two records must not point at one.
 * Reading and writing overlap through a small bounded pipe, so memory stays flat for any size.
 */
public final class CopyObjectHandler {

    private static final Logger log = LogManager.getLogger(CopyObjectHandler.class);
    /** S3's limit for a single CopyObject; larger objects are copied with UploadPartCopy. */
    static final long MAX_COPY_BYTES = 5L << 30;
    private static final int PIPE_CHUNK = 256 << 10;
    private static final int PIPE_CHUNKS = 4;

    private final S3Context ctx;

    public CopyObjectHandler(S3Context ctx) {
        this.ctx = ctx;
    }

    public void copy(S3Request req) throws IOException {
        S3Context.checkKey(req.key());
        ctx.requireBucket(req.bucket());
        CopySource src = CopySource.parse(req.header("x-amz-copy-source"));
        ctx.requireBucket(src.bucket());
        ObjectRecord source = ctx.meta().getObject(src.bucket(), src.key())
                .orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_KEY));
        boolean replace = replaceMetadata(req.header("x-amz-metadata-directive"));
        if (src.bucket().equals(req.bucket()) && src.key().equals(req.key()) && !replace) {
            throw new S3Exception(S3Error.INVALID_REQUEST, "This copy request is illegal because it is trying to copy an object "
                    + "to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
        }
        // Copy conditions never answer 304: any that fails is 412.
        if (Conditions.evaluate(req.header("x-amz-copy-source-if-match"), req.header("x-amz-copy-source-if-none-match"),
                req.header("x-amz-copy-source-if-modified-since"), req.header("x-amz-copy-source-if-unmodified-since"),
                source) != Conditions.Outcome.PROCEED) {
            throw new S3Exception(S3Error.PRECONDITION_FAILED);
        }
        if (source.getSize() > MAX_COPY_BYTES) {
            throw new S3Exception(S3Error.INVALID_REQUEST,
                    "The specified copy source is larger than the maximum allowable size for a copy source: " + MAX_COPY_BYTES);
        }
        Segment seg = copyBytes(source, src);
        ObjectRecord.Builder rec = ObjectRecord.newBuilder()
                .setVersionId(seg.getShardSet())
                .setSize(seg.getSize())
                .setEtag(seg.getMd5Hex())
                .setModifiedUnixMs(System.currentTimeMillis())
                .addSegments(seg);
        if (replace) {
            ObjectHeaders.capture(req, rec);
        } else {
            rec.setContentType(source.getContentType())
                    .putAllUserMetadata(source.getUserMetadataMap())
                    .putAllHeaders(source.getHeadersMap());
        }
        ObjectRecord committed = rec.build();
        PutOutcome outcome = ctx.meta().putObject(req.bucket(), req.key(), committed, PutCondition.NONE);
        if (outcome != PutOutcome.COMMITTED) {
            ctx.data().discard(seg);
            throw new S3Exception(outcome == PutOutcome.NO_SUCH_BUCKET ? S3Error.NO_SUCH_BUCKET : S3Error.PRECONDITION_FAILED);
        }
        Responses.xml(req.exchange(), 200, new Xml().root("CopyObjectResult")
                .element("LastModified", Xml.iso(committed.getModifiedUnixMs()))
                .element("ETag", Responses.quoted(committed.getEtag()))
                .close("CopyObjectResult"));
    }

    private static boolean replaceMetadata(String directive) {
        if (directive == null || directive.equals("COPY")) return false;
        if (directive.equals("REPLACE")) return true;
        throw new S3Exception(S3Error.INVALID_ARGUMENT, "Unknown metadata directive.");
    }

    /** Streams the source into a new shard set; a short or failed read never becomes a committed object. */
    private Segment copyBytes(ObjectRecord source, CopySource src) throws IOException {
        BoundedPipe pipe = new BoundedPipe(PIPE_CHUNK, PIPE_CHUNKS);
        Thread reader = Thread.ofPlatform().daemon().name("copy-read").start(() -> {
            OutputStream out = pipe.sink();
            try {
                ctx.data().read(source, 0, source.getSize(), out, (seg, shard) -> ctx.reportCorrupt(src.bucket(), src.key(), seg, shard));
                out.close(); // only a complete read ends the stream cleanly
            } catch (Throwable e) {
                pipe.fail(e);
            }
        });
        Segment seg;
        try (InputStream in = pipe.source()) {
            seg = ctx.data().write(in);
        } catch (IOException e) {
            if (pipe.producerFailure() == null) throw e;
            log.warn("copy from {}/{} failed reading the source: {}", src.bucket(), src.key(), pipe.producerFailure().toString());
            throw new S3Exception(S3Error.SERVICE_UNAVAILABLE, "Copy source temporarily unreadable.");
        } finally {
            joinQuietly(reader);
        }
        // A single-part source's ETag is the MD5 of its bytes: an end-to-end check of the copy.
        boolean singlePart = source.getSegmentsCount() == 1 && !source.getEtag().contains("-");
        if (seg.getSize() != source.getSize() || (singlePart && !seg.getMd5Hex().equals(source.getEtag()))) {
            ctx.data().discard(seg);
            log.error("copy from {}/{} produced {} bytes with MD5 {}, expected {} bytes with ETag {}", src.bucket(), src.key(),
                    seg.getSize(), seg.getMd5Hex(), source.getSize(), source.getEtag());
            throw new S3Exception(S3Error.INTERNAL_ERROR);
        }
        return seg;
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
