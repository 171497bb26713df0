package io.basalt.gateway.handlers;

import io.basalt.core.data.DataPath;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.MetadataStore.UploadState;
import io.basalt.gateway.auth.Hashing;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;
import io.basalt.gateway.s3.XmlBody;
import io.basalt.proto.meta.ObjectRecord;
import io.basalt.proto.meta.PartRecord;
import io.basalt.proto.meta.UploadRecord;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.w3c.dom.Element;

/**
 * Multipart upload: each part is stored like an object (its own shard set); Complete
 * stitches the parts' segments into one object record without copying a byte.
 */
public final class MultipartHandler {

    static final int MAX_PARTS = 10_000;

    private final S3Context ctx;
    private final ObjectWriter writer;

    public MultipartHandler(S3Context ctx) {
        this.ctx = ctx;
        this.writer = new ObjectWriter(ctx);
    }

    public void create(S3Request req) {
        S3Context.checkKey(req.key());
        ObjectHeaders.checkSize(req);
        // the transaction that records the upload checks the bucket
        ObjectRecord.Builder headers = ObjectRecord.newBuilder();
        ObjectHeaders.capture(req, headers);
        UploadRecord upload = UploadRecord.newBuilder()
                .setUploadId(DataPath.newShardSetId())
                .setBucket(req.bucket())
                .setKey(req.key())
                .setInitiatedUnixMs(System.currentTimeMillis())
                .setContentType(headers.getContentType())
                .putAllUserMetadata(headers.getUserMetadataMap())
                .putAllHeaders(headers.getHeadersMap())
                .putAllTags(headers.getTagsMap())
                .build();
        if (!ctx.meta().createUpload(upload)) throw new S3Exception(S3Error.NO_SUCH_BUCKET);
        Responses.xml(
                req.exchange(),
                200,
                new Xml()
                        .root("InitiateMultipartUploadResult")
                        .element("Bucket", req.bucket())
                        .element("Key", req.key())
                        .element("UploadId", upload.getUploadId())
                        .close("InitiateMultipartUploadResult"));
    }

    public void uploadPart(S3Request req) throws IOException {
        int partNumber = partNumber(req.queryParam("partNumber"));
        UploadRecord upload = requireUpload(req);
        ObjectWriter.requireLength(req);
        ObjectWriter.Written body = writer.body(req);
        writer.commitPart(upload, partNumber, body);
        body.writeHeaders(req.exchange().getResponseHeaders());
        Responses.empty(req.exchange(), 200);
    }

    /** UploadPartCopy: a part made from a byte range of an existing object (x-amz-copy-source-range). */
    public void uploadPartCopy(S3Request req) throws IOException {
        int partNumber = partNumber(req.queryParam("partNumber"));
        UploadRecord upload = requireUpload(req);
        CopySource src = CopySource.parse(req.header("x-amz-copy-source"));
        ObjectRecord source = CopySource.record(ctx, src, req);
        ObjectCopier.checkConditions(req, source);
        long offset = 0, length = source.getSize();
        String range = req.header("x-amz-copy-source-range");
        if (range != null) {
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("bytes=(\\d+)-(\\d+)").matcher(range.trim());
            if (!m.matches())
                throw new S3Exception(
                        S3Error.INVALID_ARGUMENT,
                        "The x-amz-copy-source-range value must be of the form bytes=first-last.");
            long last;
            try {
                offset = Long.parseLong(m.group(1));
                last = Long.parseLong(m.group(2));
            } catch (NumberFormatException tooLong) {
                throw new S3Exception(S3Error.INVALID_RANGE); // digits past a long: no object is that large
            }
            if (last < offset || last >= source.getSize()) throw new S3Exception(S3Error.INVALID_RANGE);
            length = last - offset + 1;
        }
        PartRecord part = writer.commitPart(upload, partNumber, writer.copy(source, src, offset, length));
        Responses.xml(
                req.exchange(),
                200,
                new Xml()
                        .root("CopyPartResult")
                        .element("LastModified", Xml.iso(part.getModifiedUnixMs()))
                        .element("ETag", Responses.quoted(part.getSegment().getMd5Hex()))
                        .close("CopyPartResult"));
    }

    public void complete(S3Request req) throws IOException {
        String uploadId = req.queryParam("uploadId");
        UploadState state = uploadId == null || uploadId.isEmpty()
                ? null
                : ctx.meta()
                        .getUploadState(req.bucket(), uploadId)
                        .filter(s -> s.upload().getKey().equals(req.key()))
                        .orElse(null);
        if (state == null) {
            ctx.requireBucket(req.bucket());
            alreadyCompleted(req, uploadId);
            return;
        }
        List<Integer> order = new ArrayList<>();
        List<String> etags = new ArrayList<>();
        Element root = XmlBody.parse(req.body());
        for (Element p : XmlBody.children(root, "Part")) {
            String num = XmlBody.text(p, "PartNumber"), etag = XmlBody.text(p, "ETag");
            if (num == null || etag == null) throw new S3Exception(S3Error.MALFORMED_XML);
            int n = partNumber(num);
            if (!order.isEmpty() && n <= order.get(order.size() - 1)) throw new S3Exception(S3Error.INVALID_PART_ORDER);
            order.add(n);
            etags.add(unquote(etag));
        }
        if (order.isEmpty()) throw new S3Exception(S3Error.MALFORMED_XML, "You must specify at least one part");
        Map<Integer, PartRecord> parts = new HashMap<>();
        for (PartRecord p : state.parts()) parts.put(p.getPartNumber(), p);

        MessageDigest md5 = Hashing.md5();
        ObjectRecord.Builder rec = ObjectRecord.newBuilder();
        Set<Integer> used = new HashSet<>();
        long size = 0;
        for (int i = 0; i < order.size(); i++) {
            int n = order.get(i);
            PartRecord part = parts.get(n);
            if (part == null || !part.getSegment().getMd5Hex().equals(etags.get(i)))
                throw new S3Exception(S3Error.INVALID_PART);
            if (i < order.size() - 1 && part.getSegment().getSize() < ctx.minPartSize()) {
                throw new S3Exception(S3Error.ENTITY_TOO_SMALL);
            }
            md5.update(HexFormat.of().parseHex(part.getSegment().getMd5Hex()));
            size += part.getSegment().getSize();
            used.add(n);
            // Empty parts stay as empty segments, so segment i is part i+1 for GET ?partNumber.
            rec.addSegments(part.getSegment());
        }
        if (size > ObjectWriter.MAX_OBJECT_BYTES) {
            throw new S3Exception(
                    S3Error.ENTITY_TOO_LARGE, "An object is at most 5 TiB; these parts make " + size + " bytes.");
        }
        String declared = req.header("x-amz-mp-object-size");
        if (declared != null && !declared.trim().equals(String.valueOf(size))) {
            throw new S3Exception(
                    S3Error.INVALID_REQUEST,
                    "The provided x-amz-mp-object-size " + declared.trim() + " does not match the object size " + size
                            + ".");
        }
        String etag = HexFormat.of().formatHex(md5.digest()) + "-" + order.size();
        UploadRecord upload = state.upload();
        rec.setVersionId(DataPath.newShardSetId())
                .setUploadId(uploadId)
                .setSize(size)
                .setEtag(etag)
                .setModifiedUnixMs(System.currentTimeMillis())
                .setContentType(upload.getContentType())
                .putAllUserMetadata(upload.getUserMetadataMap())
                .putAllHeaders(upload.getHeadersMap())
                .putAllTags(upload.getTagsMap());
        List<PartRecord> unused = new ArrayList<>();
        for (PartRecord p : state.parts()) if (!used.contains(p.getPartNumber())) unused.add(p);
        MetadataStore.Completed done = ctx.meta().complete(state, rec.build(), unused);
        switch (done.outcome()) {
            case NO_SUCH_UPLOAD -> alreadyCompleted(req, uploadId); // a concurrent retry completed it first
            case PARTS_CHANGED ->
                throw new S3Exception(S3Error.INVALID_PART, "A part was replaced while completing; retry.");
            case COMPLETED -> {
                Responses.versionId(req.exchange(), done.versionId());
                completed(req, etag);
            }
        }
    }

    /**
     * The upload is gone: if it became the object now at the key, this is a retry of a completion whose
     * answer was lost (an SDK retrying after a timeout) and gets the same answer, as on S3; a 404 there
     * would tell the client an upload failed that succeeded.
     */
    private void alreadyCompleted(S3Request req, String uploadId) throws IOException {
        ObjectRecord done = uploadId == null || uploadId.isEmpty()
                ? null
                : ctx.meta()
                        .getObject(req.bucket(), req.key())
                        .filter(o -> o.getUploadId().equals(uploadId))
                        .orElse(null);
        if (done == null) throw new S3Exception(S3Error.NO_SUCH_UPLOAD);
        req.body().transferTo(java.io.OutputStream.nullOutputStream()); // the part list it was completed with
        completed(req, done.getEtag());
    }

    private static void completed(S3Request req, String etag) {
        Responses.xml(
                req.exchange(),
                200,
                new Xml()
                        .root("CompleteMultipartUploadResult")
                        .element("Location", "/" + req.bucket() + "/" + req.key())
                        .element("Bucket", req.bucket())
                        .element("Key", req.key())
                        .element("ETag", Responses.quoted(etag))
                        .close("CompleteMultipartUploadResult"));
    }

    public void abort(S3Request req) {
        if (!ctx.meta().abortUpload(req.bucket(), req.queryParam("uploadId"))) throw noSuchUpload(req);
        Responses.empty(req.exchange(), 204);
    }

    public void listParts(S3Request req) {
        UploadState state = ctx.meta()
                .getUploadState(req.bucket(), req.queryParam("uploadId"))
                .filter(s -> s.upload().getKey().equals(req.key()))
                .orElseThrow(() -> noSuchUpload(req));
        int maxParts = intParam(req, "max-parts", 1000, 0, 1000);
        int marker = intParam(req, "part-number-marker", 0, 0, MAX_PARTS);
        List<PartRecord> after =
                state.parts().stream().filter(p -> p.getPartNumber() > marker).toList();
        List<PartRecord> page = after.subList(0, Math.min(maxParts, after.size()));
        boolean truncated = page.size() < after.size();
        Xml doc = new Xml()
                .root("ListPartsResult")
                .element("Bucket", req.bucket())
                .element("Key", req.key())
                .element("UploadId", state.upload().getUploadId())
                .element("PartNumberMarker", marker)
                .element(
                        "NextPartNumberMarker",
                        page.isEmpty() ? marker : page.get(page.size() - 1).getPartNumber())
                .element("MaxParts", maxParts)
                .element("IsTruncated", truncated)
                .element("StorageClass", "STANDARD");
        for (PartRecord p : page) {
            doc.open("Part")
                    .element("PartNumber", p.getPartNumber())
                    .element("LastModified", Xml.iso(p.getModifiedUnixMs()))
                    .element("ETag", Responses.quoted(p.getSegment().getMd5Hex()))
                    .element("Size", p.getSegment().getSize());
            p.getChecksumsMap().forEach((name, value) -> doc.element(checksumElement(name), value));
            doc.close("Part");
        }
        doc.close("ListPartsResult");
        Responses.xml(req.exchange(), 200, doc);
    }

    /** Uploads in key order, then by initiation time, as S3 lists them. */
    public void listUploads(S3Request req) {
        ctx.requireBucket(req.bucket());
        int maxUploads = intParam(req, "max-uploads", 1000, 0, 1000);
        String prefix = req.queryParam("prefix") == null ? "" : req.queryParam("prefix");
        String keyMarker = req.queryParam("key-marker") == null ? "" : req.queryParam("key-marker");
        String idMarker = req.queryParam("upload-id-marker") == null ? "" : req.queryParam("upload-id-marker");
        List<UploadRecord> all = new ArrayList<>(ctx.meta().listUploads(req.bucket()));
        all.sort(java.util.Comparator.comparing(UploadRecord::getKey, io.basalt.core.listing.ObjectListing::compare)
                .thenComparingLong(UploadRecord::getInitiatedUnixMs)
                .thenComparing(UploadRecord::getUploadId));
        List<UploadRecord> after = new ArrayList<>();
        boolean pastIdMarker = idMarker.isEmpty();
        for (UploadRecord u : all) {
            if (!u.getKey().startsWith(prefix)) continue;
            int c = keyMarker.isEmpty() ? 1 : io.basalt.core.listing.ObjectListing.compare(u.getKey(), keyMarker);
            if (c < 0 || (c == 0 && idMarker.isEmpty())) continue;
            if (c == 0 && !pastIdMarker) {
                if (u.getUploadId().equals(idMarker)) pastIdMarker = true;
                continue;
            }
            after.add(u);
        }
        List<UploadRecord> page = after.subList(0, Math.min(maxUploads, after.size()));
        boolean truncated = page.size() < after.size();
        Xml doc = new Xml()
                .root("ListMultipartUploadsResult")
                .element("Bucket", req.bucket())
                .element("KeyMarker", keyMarker)
                .element("UploadIdMarker", idMarker)
                .element("Prefix", prefix)
                .element("MaxUploads", maxUploads)
                .element("IsTruncated", truncated);
        if (truncated) {
            UploadRecord last = page.get(page.size() - 1);
            doc.element("NextKeyMarker", last.getKey()).element("NextUploadIdMarker", last.getUploadId());
        }
        for (UploadRecord u : page) {
            doc.open("Upload")
                    .element("Key", u.getKey())
                    .element("UploadId", u.getUploadId())
                    .open("Initiator")
                    .element("ID", "basalt")
                    .element("DisplayName", "basalt")
                    .close("Initiator")
                    .open("Owner")
                    .element("ID", "basalt")
                    .element("DisplayName", "basalt")
                    .close("Owner")
                    .element("StorageClass", "STANDARD")
                    .element("Initiated", Xml.iso(u.getInitiatedUnixMs()))
                    .close("Upload");
        }
        doc.close("ListMultipartUploadsResult");
        Responses.xml(req.exchange(), 200, doc);
    }

    private static int intParam(S3Request req, String name, int dflt, int min, int max) {
        String v = req.queryParam(name);
        if (v == null || v.isBlank()) return dflt;
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min) return Math.min(n, max);
        } catch (NumberFormatException ignored) {
            // fall through to the S3 error
        }
        throw new S3Exception(S3Error.INVALID_ARGUMENT, "Invalid value for " + name + ": " + v);
    }

    /** x-amz-checksum-crc32c -> ChecksumCRC32C, the element name S3 uses in XML. */
    private static String checksumElement(String header) {
        String alg = header.substring("x-amz-checksum-".length()).toUpperCase(java.util.Locale.ROOT);
        return "Checksum" + alg;
    }

    private UploadRecord requireUpload(S3Request req) {
        String id = req.queryParam("uploadId");
        UploadRecord u = id == null || id.isEmpty()
                ? null
                : ctx.meta().getUpload(req.bucket(), id).orElse(null);
        if (u == null || !u.getKey().equals(req.key())) throw noSuchUpload(req);
        return u;
    }

    /**
     * NoSuchUpload, or NoSuchBucket when that is why. DeleteBucket aborts a bucket's uploads before it removes the
     * bucket, so an upload found means its bucket is there: the bucket is looked up only for an upload not found,
     * and a part or a completion costs one etcd read less.
     */
    private S3Exception noSuchUpload(S3Request req) {
        ctx.requireBucket(req.bucket());
        return new S3Exception(S3Error.NO_SUCH_UPLOAD);
    }

    private static int partNumber(String s) {
        try {
            int n = Integer.parseInt(s == null ? "" : s.trim());
            if (n >= 1 && n <= MAX_PARTS) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the S3 error
        }
        throw new S3Exception(
                S3Error.INVALID_ARGUMENT, "Part number must be an integer between 1 and 10000, inclusive");
    }

    private static String unquote(String etag) {
        String e = etag.trim();
        return e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"") ? e.substring(1, e.length() - 1) : e;
    }
}
