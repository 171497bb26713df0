package io.basalt.gateway.handlers;

import static io.basalt.gateway.handlers.ListObjectsHandler.enc;

import io.basalt.core.listing.ObjectListing;
import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;

/**
 * ListObjectVersions. Buckets are unversioned, so each key has exactly one version, "null",
 * and it is the latest: the listing is the key listing with version fields added.
 */
public final class ListVersionsHandler {

    static final String NULL_VERSION = "null";

    private final S3Context ctx;
    private final String ownerId;

    public ListVersionsHandler(S3Context ctx, String ownerId) {
        this.ctx = ctx;
        this.ownerId = ownerId;
    }

    public void list(S3Request req) {
        ctx.requireBucket(req.bucket());
        String keyMarker = req.queryParam("key-marker");
        String versionMarker = req.queryParam("version-id-marker");
        if (versionMarker != null && !versionMarker.isEmpty() && (keyMarker == null || keyMarker.isEmpty())) {
            throw new S3Exception(
                    S3Error.INVALID_ARGUMENT, "A version-id marker cannot be specified without a key marker.");
        }
        // Whatever the version marker, the marker key's only version is at or before it: resume after the key.
        int maxKeys = ListObjectsHandler.maxKeys(req);
        String delimiter = ListObjectsHandler.delimiter(req);
        ObjectListing.Result r = ObjectListing.list(
                (from, inclusive, to, limit) -> ctx.meta().scanObjects(req.bucket(), from, inclusive, to, limit),
                new ObjectListing.Request(req.queryParam("prefix"), delimiter, keyMarker, maxKeys));
        boolean url = "url".equals(req.queryParam("encoding-type"));
        Xml doc = new Xml()
                .root("ListVersionsResult")
                .element("Name", req.bucket())
                .element("Prefix", enc(req.queryParam("prefix") == null ? "" : req.queryParam("prefix"), url))
                .element("KeyMarker", enc(keyMarker == null ? "" : keyMarker, url))
                .element("VersionIdMarker", versionMarker == null ? "" : versionMarker);
        if (r.truncated()) {
            doc.element("NextKeyMarker", enc(r.lastEmitted(), url));
            // A page that ends on a common prefix resumes from the prefix alone.
            if (!r.commonPrefixes().contains(r.lastEmitted())) doc.element("NextVersionIdMarker", NULL_VERSION);
        }
        doc.element("MaxKeys", maxKeys)
                .element("Delimiter", enc(delimiter, url))
                .element("EncodingType", url ? "url" : null)
                .element("IsTruncated", r.truncated());
        for (ListedObject o : r.contents()) {
            doc.open("Version")
                    .element("Key", enc(o.key(), url))
                    .element("VersionId", NULL_VERSION)
                    .element("IsLatest", true)
                    .element("LastModified", Xml.iso(o.record().getModifiedUnixMs()))
                    .element("ETag", Responses.quoted(o.record().getEtag()))
                    .element("Size", o.record().getSize())
                    .element("StorageClass", "STANDARD")
                    .open("Owner")
                    .element("ID", ownerId)
                    .element("DisplayName", ownerId)
                    .close("Owner")
                    .close("Version");
        }
        for (String p : r.commonPrefixes()) {
            doc.open("CommonPrefixes").element("Prefix", enc(p, url)).close("CommonPrefixes");
        }
        doc.close("ListVersionsResult");
        Responses.xml(req.exchange(), 200, doc);
    }
}
