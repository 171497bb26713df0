package io.basalt.gateway.handlers;

import io.basalt.core.listing.ObjectListing;
import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.UriEncoding;
import io.basalt.gateway.s3.Xml;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Supplier;

/** ListObjectsV2 and ListObjects (V1) over {@link ObjectListing}. */
public final class ListObjectsHandler {

    private static final int MAX_KEYS = 1000;

    private final S3Context ctx;
    private final String ownerId;

    public ListObjectsHandler(S3Context ctx, String ownerId) {
        this.ctx = ctx;
        this.ownerId = ownerId;
    }

    public void listV2(S3Request req) {
        String token = req.queryParam("continuation-token");
        String startAfter = req.queryParam("start-after");
        ObjectListing.Result r = listing(req, () -> run(req, token != null ? decodeToken(token) : startAfter));
        boolean url = "url".equals(req.queryParam("encoding-type"));
        boolean owner = "true".equals(req.queryParam("fetch-owner"));
        Xml doc = new Xml()
                .root("ListBucketResult")
                .element("Name", req.bucket())
                .element("Prefix", enc(req.queryParam("prefix"), url))
                .element("Delimiter", enc(delimiter(req), url))
                .element("MaxKeys", maxKeys(req))
                .element("EncodingType", url ? "url" : null)
                .element("KeyCount", r.contents().size() + r.commonPrefixes().size())
                .element("ContinuationToken", token)
                .element("StartAfter", enc(startAfter, url))
                .element("IsTruncated", r.truncated());
        if (r.truncated()) doc.element("NextContinuationToken", encodeToken(r.lastEmitted()));
        contents(doc, r, url, owner);
        doc.close("ListBucketResult");
        Responses.xml(req.exchange(), 200, doc);
    }

    public void listV1(S3Request req) {
        String marker = req.queryParam("marker");
        ObjectListing.Result r = listing(req, () -> run(req, marker));
        boolean url = "url".equals(req.queryParam("encoding-type"));
        String delimiter = delimiter(req);
        Xml doc = new Xml()
                .root("ListBucketResult")
                .element("Name", req.bucket())
                // V1 echoes its Prefix as sent even with encoding-type=url (botocore, which decodes what S3 encodes,
                // decodes Delimiter, Marker, NextMarker, Key and CommonPrefixes here, not Prefix); V2 encodes it
                .element("Prefix", req.queryParam("prefix") == null ? "" : req.queryParam("prefix"))
                .element("Marker", enc(marker == null ? "" : marker, url))
                .element("MaxKeys", maxKeys(req))
                .element("Delimiter", enc(delimiter, url))
                .element("EncodingType", url ? "url" : null)
                .element("IsTruncated", r.truncated());
        // S3 sends NextMarker only with a delimiter; without one, clients resume from the last key.
        if (r.truncated() && delimiter != null) doc.element("NextMarker", enc(r.lastEmitted(), url));
        contents(doc, r, url, true);
        doc.close("ListBucketResult");
        Responses.xml(req.exchange(), 200, doc);
    }

    /** The delimiter asked for; an empty one is none (S3 then leaves the Delimiter element out). */
    static String delimiter(S3Request req) {
        String d = req.queryParam("delimiter");
        return d == null || d.isEmpty() ? null : d;
    }

    /**
     * The listing, or NoSuchBucket (named before any other error, as S3 does). A listed object or prefix means its
     * bucket is there (DeleteBucket refuses a bucket with objects), so the bucket is read only when the listing is
     * empty or refused: a page costs one etcd read, not two.
     */
    private ObjectListing.Result listing(S3Request req, Supplier<ObjectListing.Result> list) {
        ObjectListing.Result r;
        try {
            r = list.get();
        } catch (S3Exception e) {
            ctx.requireBucket(req.bucket());
            throw e;
        }
        if (r.contents().isEmpty() && r.commonPrefixes().isEmpty()) ctx.requireBucket(req.bucket());
        return r;
    }

    private ObjectListing.Result run(S3Request req, String after) {
        ObjectListing.Request lr =
                new ObjectListing.Request(req.queryParam("prefix"), req.queryParam("delimiter"), after, maxKeys(req));
        return ObjectListing.list(
                (from, inclusive, to, limit) -> ctx.meta().scanObjects(req.bucket(), from, inclusive, to, limit), lr);
    }

    private void contents(Xml doc, ObjectListing.Result r, boolean url, boolean owner) {
        for (ListedObject o : r.contents()) {
            doc.open("Contents")
                    .element("Key", enc(o.key(), url))
                    .element("LastModified", Xml.iso(o.record().getModifiedUnixMs()))
                    .element("ETag", Responses.quoted(o.record().getEtag()))
                    .element("Size", o.record().getSize())
                    .element("StorageClass", "STANDARD");
            if (owner)
                doc.open("Owner")
                        .element("ID", ownerId)
                        .element("DisplayName", ownerId)
                        .close("Owner");
            doc.close("Contents");
        }
        for (String p : r.commonPrefixes()) {
            doc.open("CommonPrefixes").element("Prefix", enc(p, url)).close("CommonPrefixes");
        }
    }

    static int maxKeys(S3Request req) {
        String v = req.queryParam("max-keys");
        if (v == null || v.isEmpty()) return MAX_KEYS;
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 0) throw new S3Exception(S3Error.INVALID_ARGUMENT, "max-keys must not be negative");
            return Math.min(n, MAX_KEYS);
        } catch (NumberFormatException e) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "Provided max-keys not an integer or within integer range");
        }
    }

    static String enc(String s, boolean url) {
        if (s == null) return null;
        return url ? UriEncoding.encode(s, true) : s;
    }

    static String encodeToken(String resumeAfter) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(resumeAfter.getBytes(StandardCharsets.UTF_8));
    }

    static String decodeToken(String token) {
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new S3Exception(S3Error.INVALID_ARGUMENT, "The continuation token provided is incorrect");
        }
    }
}
