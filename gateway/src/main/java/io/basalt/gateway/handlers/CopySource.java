package io.basalt.gateway.handlers;

import io.basalt.core.meta.MetadataStore;
import io.basalt.core.meta.VersionIds;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.UriEncoding;
import io.basalt.proto.meta.ObjectRecord;
import io.undertow.util.HttpString;
import java.util.Optional;

/**
 * The {@code x-amz-copy-source} header: {@code [/]bucket/key[?versionId=id]}, URL-encoded.
 * The query is split off before decoding, so an encoded '?' (%3F) stays part of the key.
 *
 * @param versionId the source version asked for, null for the latest
 */
public record CopySource(String bucket, String key, String versionId) {

    private static final HttpString SOURCE_VERSION = HttpString.tryFromString("x-amz-copy-source-version-id");

    public static CopySource parse(String header) {
        if (header == null || header.isEmpty()) throw invalid();
        String path = header;
        String versionId = null;
        int q = header.indexOf('?');
        if (q >= 0) {
            path = header.substring(0, q);
            versionId = S3Request.parseQuery(header.substring(q + 1)).get("versionId");
            // an id Basalt never made names no version
            if (versionId != null && !VersionIds.wellFormed(versionId)) throw new S3Exception(S3Error.NO_SUCH_VERSION);
        }
        String decoded = UriEncoding.decode(path, false);
        if (decoded.startsWith("/")) decoded = decoded.substring(1);
        int slash = decoded.indexOf('/');
        if (slash <= 0 || slash == decoded.length() - 1) throw invalid();
        return new CopySource(decoded.substring(0, slash), decoded.substring(slash + 1), versionId);
    }

    /** The source version's record; says which version it was in x-amz-copy-source-version-id. */
    static ObjectRecord record(S3Context ctx, CopySource src, S3Request req) {
        // a version found means its bucket is there (DeleteBucket refuses a bucket with objects): the bucket is
        // read only to name what is missing
        Optional<ObjectRecord> found = src.versionId() == null
                ? ctx.meta().getObject(src.bucket(), src.key())
                : ctx.meta().getVersion(src.bucket(), src.key(), src.versionId());
        if (found.isEmpty()) {
            ctx.requireBucket(src.bucket());
            throw new S3Exception(src.versionId() == null ? S3Error.NO_SUCH_KEY : S3Error.NO_SUCH_VERSION);
        }
        ObjectRecord r = found.get();
        if (r.getDeleteMarker()) {
            throw new S3Exception(
                    S3Error.INVALID_REQUEST,
                    "The source of a copy request may not specifically refer to a delete marker by version id.");
        }
        if (src.versionId() != null || r.getVersioned()) {
            req.exchange().getResponseHeaders().put(SOURCE_VERSION, MetadataStore.s3VersionId(r));
        }
        return r;
    }

    private static S3Exception invalid() {
        return new S3Exception(
                S3Error.INVALID_ARGUMENT, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    }
}
