package io.basalt.gateway.handlers;

import io.basalt.gateway.s3.HttpDates;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.proto.meta.ObjectRecord;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The object headers S3 stores with an object and returns on GET and HEAD. */
final class ObjectHeaders {

    static final List<String> STORED =
            List.of("Content-Encoding", "Content-Disposition", "Content-Language", "Cache-Control", "Expires");
    private static final String META = "x-amz-meta-";
    static final String TAGGING = "x-amz-tagging";
    private static final HttpString TAGGING_COUNT = HttpString.tryFromString("x-amz-tagging-count");
    /** S3's limits: user metadata 2 KB; we keep the stored headers to 8 KiB, S3's whole header section. */
    static final int MAX_USER_METADATA_BYTES = 2048, MAX_STORED_HEADER_BYTES = 8192;

    private ObjectHeaders() {}

    /** Copies Content-Type, the stored headers, x-amz-meta-* and x-amz-tagging from the request into the record. */
    static void capture(S3Request req, ObjectRecord.Builder rec) {
        String type = req.header("Content-Type");
        rec.setContentType(type == null || type.isEmpty() ? "binary/octet-stream" : type);
        for (String h : STORED) {
            String v = req.header(h);
            // aws-chunked is transfer framing, not a property of the object.
            if (h.equals("Content-Encoding") && v != null) v = stripAwsChunked(v);
            if (v != null && !v.isEmpty()) rec.putHeaders(h, v);
        }
        for (HttpString name : req.headerNames()) {
            String lower = name.toString().toLowerCase(Locale.ROOT);
            if (lower.startsWith(META))
                rec.putUserMetadata(lower.substring(META.length()), req.header(name.toString()));
        }
        rec.putAllTags(ObjectTags.fromHeader(req.header(TAGGING)));
    }

    /**
     * Refuses headers too large to store, and tags S3 would refuse, before any byte of the body is written: they go into the object's
     * etcd record, which must stay small.
     */
    static void checkSize(S3Request req) {
        long meta = 0, stored = length(req.header("Content-Type"));
        for (String h : STORED) stored += length(req.header(h));
        for (HttpString name : req.headerNames()) {
            String lower = name.toString().toLowerCase(Locale.ROOT);
            if (lower.startsWith(META))
                meta += length(lower.substring(META.length())) + length(req.header(name.toString()));
        }
        if (meta > MAX_USER_METADATA_BYTES) throw new S3Exception(S3Error.METADATA_TOO_LARGE);
        if (stored > MAX_STORED_HEADER_BYTES) throw new S3Exception(S3Error.REQUEST_HEADER_SECTION_TOO_LARGE);
        ObjectTags.fromHeader(req.header(TAGGING));
    }

    /** Bytes on the wire: a header's chars are its bytes (see {@link S3Request#header}). */
    private static long length(String s) {
        return s == null ? 0 : s.length();
    }

    static void write(ObjectRecord obj, HeaderMap out) {
        out.put(HttpString.tryFromString("ETag"), Responses.quoted(obj.getEtag()));
        out.put(HttpString.tryFromString("Last-Modified"), HttpDates.format(obj.getModifiedUnixMs()));
        out.put(
                HttpString.tryFromString("Content-Type"),
                obj.getContentType().isEmpty() ? "binary/octet-stream" : obj.getContentType());
        out.put(HttpString.tryFromString("Accept-Ranges"), "bytes");
        for (Map.Entry<String, String> e : obj.getHeadersMap().entrySet()) {
            out.put(HttpString.tryFromString(e.getKey()), e.getValue());
        }
        for (Map.Entry<String, String> e : obj.getUserMetadataMap().entrySet()) {
            out.put(HttpString.tryFromString(META + e.getKey()), e.getValue());
        }
        if (obj.getTagsCount() > 0) out.put(TAGGING_COUNT, obj.getTagsCount());
    }

    /** The value without its aws-chunked token; the rest exactly as sent ("aws-chunked, gzip, br" keeps "gzip, br"). */
    static String stripAwsChunked(String v) {
        StringBuilder sb = new StringBuilder();
        for (String part : v.split(",", -1)) {
            if (part.isBlank() || part.trim().equalsIgnoreCase("aws-chunked")) continue;
            if (!sb.isEmpty()) sb.append(',');
            sb.append(part);
        }
        return sb.toString().strip();
    }
}
