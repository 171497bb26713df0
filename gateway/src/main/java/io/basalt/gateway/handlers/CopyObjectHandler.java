package io.basalt.gateway.handlers;

import io.basalt.core.meta.MetadataStore.PutCondition;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;
import io.basalt.proto.meta.ObjectRecord;
import java.io.IOException;

/**
 * CopyObject. The bytes are read from the source and re-encoded into a new shard set, never
 * shared: GC deletes a replaced version's shard sets, so two records must not point at one.
 * Reading and writing overlap through a small bounded pipe, so memory stays flat for any size.
 */
public final class CopyObjectHandler {

    /** S3's limit for a single CopyObject; larger objects are copied with UploadPartCopy. */
    static final long MAX_COPY_BYTES = 5L << 30;

    private final S3Context ctx;
    private final ObjectWriter writer;

    public CopyObjectHandler(S3Context ctx) {
        this.ctx = ctx;
        this.writer = new ObjectWriter(ctx);
    }

    public void copy(S3Request req) throws IOException {
        S3Context.checkKey(req.key());
        ObjectHeaders.checkSize(req);
        writer.requireBucket(req.bucket());
        CopySource src = CopySource.parse(req.header("x-amz-copy-source"));
        ObjectRecord source = CopySource.record(ctx, src, req);
        boolean replace = replaces(req.header("x-amz-metadata-directive"), "metadata");
        boolean replaceTags = replaces(req.header("x-amz-tagging-directive"), "tagging");
        if (src.bucket().equals(req.bucket()) && src.key().equals(req.key()) && !replace) {
            throw new S3Exception(
                    S3Error.INVALID_REQUEST,
                    "This copy request is illegal because it is trying to copy an object "
                            + "to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
        }
        ObjectCopier.checkConditions(req, source);
        if (source.getSize() > MAX_COPY_BYTES) {
            throw new S3Exception(
                    S3Error.INVALID_REQUEST,
                    "The specified copy source is larger than the maximum allowable size for a copy source: "
                            + MAX_COPY_BYTES);
        }
        ObjectWriter.Written copy = writer.copy(source, src, 0, source.getSize());
        ObjectRecord committed = writer.commitObject(
                        req,
                        copy,
                        rec -> {
                            if (replace) {
                                ObjectHeaders.capture(req, rec);
                            } else {
                                rec.setContentType(source.getContentType())
                                        .putAllUserMetadata(source.getUserMetadataMap())
                                        .putAllHeaders(source.getHeadersMap());
                            }
                            // the tagging directive is its own: COPY keeps the source's tags whatever the metadata does
                            rec.clearTags()
                                    .putAllTags(
                                            replaceTags
                                                    ? ObjectTags.fromHeader(req.header(ObjectHeaders.TAGGING))
                                                    : source.getTagsMap());
                        },
                        PutCondition.NONE)
                .record();
        Responses.xml(
                req.exchange(),
                200,
                new Xml()
                        .root("CopyObjectResult")
                        .element("LastModified", Xml.iso(committed.getModifiedUnixMs()))
                        .element("ETag", Responses.quoted(committed.getEtag()))
                        .close("CopyObjectResult"));
    }

    /** x-amz-metadata-directive and x-amz-tagging-directive: COPY (the default) or REPLACE. */
    private static boolean replaces(String directive, String what) {
        if (directive == null || directive.equals("COPY")) return false;
        if (directive.equals("REPLACE")) return true;
        throw new S3Exception(S3Error.INVALID_ARGUMENT, "Unknown " + what + " directive.");
    }
}
