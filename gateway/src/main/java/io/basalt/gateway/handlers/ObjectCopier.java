package io.basalt.gateway.handlers;

import io.basalt.gateway.s3.Conditions;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.Segment;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Server-side copy of a byte range of an object into a new shard set (CopyObject and
 * UploadPartCopy). Never shares shard sets: GC deletes a replaced version's shard sets, so two
 * records must not point at one. Reading and writing overlap through a small bounded pipe.
 */
final class ObjectCopier {

    private static final Logger log = LogManager.getLogger(ObjectCopier.class);
    private static final int PIPE_CHUNK = 256 << 10;
    private static final int PIPE_CHUNKS = 4;

    private final S3Context ctx;

    ObjectCopier(S3Context ctx) {
        this.ctx = ctx;
    }

    /** x-amz-copy-source-if-*: copy conditions never answer 304, any that fails is 412. */
    static void checkConditions(S3Request req, ObjectRecord source) {
        if (Conditions.evaluate(
                        req.header("x-amz-copy-source-if-match"),
                        req.header("x-amz-copy-source-if-none-match"),
                        req.header("x-amz-copy-source-if-modified-since"),
                        req.header("x-amz-copy-source-if-unmodified-since"),
                        source)
                != Conditions.Outcome.PROCEED) {
            throw new S3Exception(S3Error.PRECONDITION_FAILED);
        }
    }

    /**
     * Streams bytes [offset, offset+length) of the source into a new shard set; a short or failed
     * read commits nothing. Its length picks the layout, as a body's declared length does.
     */
    Segment copy(ObjectRecord source, CopySource src, long offset, long length) throws IOException {
        BoundedPipe pipe = new BoundedPipe(PIPE_CHUNK, PIPE_CHUNKS);
        Thread reader = Thread.ofPlatform().daemon().name("copy-read").start(() -> {
            OutputStream out = pipe.sink();
            try {
                ctx.data()
                        .read(
                                source,
                                offset,
                                length,
                                out,
                                (seg, shard) -> ctx.reportCorrupt(src.bucket(), src.key(), seg, shard));
                out.close(); // only a complete read ends the stream cleanly
            } catch (Throwable e) {
                pipe.fail(e);
            }
        });
        Segment seg;
        try (InputStream in = pipe.source()) {
            seg = ctx.data().write(in, length);
        } catch (IOException e) {
            if (pipe.producerFailure() == null) throw e;
            log.warn(
                    "copy from {}/{} failed reading the source: {}",
                    src.bucket(),
                    src.key(),
                    pipe.producerFailure().toString());
            throw new S3Exception(S3Error.SERVICE_UNAVAILABLE, "Copy source temporarily unreadable.");
        } finally {
            joinQuietly(reader);
        }
        // A single-part source's ETag is the MD5 of its bytes: an end-to-end check of the copy.
        boolean whole = offset == 0 && length == source.getSize();
        boolean singlePart = source.getSegmentsCount() == 1 && !source.getEtag().contains("-");
        if (seg.getSize() != length || (whole && singlePart && !seg.getMd5Hex().equals(source.getEtag()))) {
            ctx.data().discard(seg);
            log.error(
                    "copy from {}/{} produced {} bytes with MD5 {}, expected {} bytes with ETag {}",
                    src.bucket(),
                    src.key(),
                    seg.getSize(),
                    seg.getMd5Hex(),
                    length,
                    source.getEtag());
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
