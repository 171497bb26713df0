package io.basalt.gateway.handlers;

import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.UriEncoding;

/**
 * The {@code x-amz-copy-source} header: {@code [/]bucket/key[?versionId=id]}, URL-encoded.
 * The query is split off before decoding, so an encoded '?' (%3F) stays part of the key.
 */
public record CopySource(String bucket, String key) {

    public static CopySource parse(String header) {
        if (header == null || header.isEmpty()) throw invalid();
        String path = header;
        int q = header.indexOf('?');
        if (q >= 0) {
            path = header.substring(0, q);
            String versionId = S3Request.parseQuery(header.substring(q + 1)).get("versionId");
            // Buckets here are unversioned: their one version of each key is "null".
            if (versionId != null && !versionId.equals("null")) throw new S3Exception(S3Error.NO_SUCH_VERSION);
        }
        String decoded = UriEncoding.decode(path, false);
        if (decoded.startsWith("/")) decoded = decoded.substring(1);
        int slash = decoded.indexOf('/');
        if (slash <= 0 || slash == decoded.length() - 1) throw invalid();
        return new CopySource(decoded.substring(0, slash), decoded.substring(slash + 1));
    }

    private static S3Exception invalid() {
        return new S3Exception(
                S3Error.INVALID_ARGUMENT, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    }
}
