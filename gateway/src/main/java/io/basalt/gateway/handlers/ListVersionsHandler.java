package io.basalt.gateway.handlers;

import static io.basalt.gateway.handlers.ListObjectsHandler.enc;

import io.basalt.core.listing.VersionListing;
import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.MetadataStore.ListedObject;
import io.basalt.core.meta.MetadataStore.ListedVersion;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;
import io.basalt.proto.meta.ObjectRecord;
import java.util.List;

/**
 * ListObjectVersions: every version and delete marker, by key, newest first. In a bucket never versioned
 * each key has one version, "null", and it is the latest.
 */
public final class ListVersionsHandler {

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
        int maxKeys = ListObjectsHandler.maxKeys(req);
        String delimiter = ListObjectsHandler.delimiter(req);
        String bucket = req.bucket();
        VersionListing.Result r = VersionListing.list(
                new VersionListing.Source() {
                    @Override
                    public List<ListedObject> current(String from, boolean inclusive, String to, int limit) {
                        return ctx.meta().scanObjects(bucket, from, inclusive, to, limit);
                    }

                    @Override
                    public List<ListedVersion> noncurrent(String from, boolean inclusive, int limit) {
                        return ctx.meta().scanVersions(bucket, from, inclusive, limit);
                    }
                },
                req.queryParam("prefix"),
                delimiter,
                keyMarker,
                versionMarker,
                maxKeys);
        boolean url = "url".equals(req.queryParam("encoding-type"));
        Xml doc = new Xml()
                .root("ListVersionsResult")
                .element("Name", req.bucket())
                .element("Prefix", enc(req.queryParam("prefix") == null ? "" : req.queryParam("prefix"), url))
                .element("KeyMarker", enc(keyMarker == null ? "" : keyMarker, url))
                .element("VersionIdMarker", versionMarker == null ? "" : versionMarker);
        if (r.truncated()) {
            doc.element("NextKeyMarker", enc(r.nextKeyMarker(), url));
            // a page that ends on a common prefix resumes from the prefix alone
            if (r.nextVersionIdMarker() != null) doc.element("NextVersionIdMarker", r.nextVersionIdMarker());
        }
        doc.element("MaxKeys", maxKeys)
                .element("Delimiter", enc(delimiter, url))
                .element("EncodingType", url ? "url" : null)
                .element("IsTruncated", r.truncated());
        for (VersionListing.Version v : r.versions()) {
            ObjectRecord o = v.record();
            String element = o.getDeleteMarker() ? "DeleteMarker" : "Version";
            doc.open(element)
                    .element("Key", enc(v.key(), url))
                    .element("VersionId", MetadataStore.s3VersionId(o))
                    .element("IsLatest", v.latest())
                    .element("LastModified", Xml.iso(o.getModifiedUnixMs()));
            if (!o.getDeleteMarker()) {
                doc.element("ETag", Responses.quoted(o.getEtag()))
                        .element("Size", o.getSize())
                        .element("StorageClass", "STANDARD");
            }
            doc.open("Owner")
                    .element("ID", ownerId)
                    .element("DisplayName", ownerId)
                    .close("Owner")
                    .close(element);
        }
        for (String p : r.commonPrefixes()) {
            doc.open("CommonPrefixes").element("Prefix", enc(p, url)).close("CommonPrefixes");
        }
        doc.close("ListVersionsResult");
        Responses.xml(req.exchange(), 200, doc);
    }
}
