package io.basalt.gateway.s3;

import io.basalt.proto.meta.ObjectRecord;
import java.time.Instant;

/**
 * Conditional GET/HEAD (RFC 7232 as S3 applies it): If-Match and If-Unmodified-Since fail
 * with 412; If-None-Match and If-Modified-Since answer 304. If-Match wins over
 * If-Unmodified-Since, If-None-Match over If-Modified-Since.
 */
public final class Conditions {

    public enum Outcome {
        PROCEED,
        NOT_MODIFIED
    }

    private Conditions() {}

    public static Outcome check(S3Request req, ObjectRecord obj) {
        return evaluate(
                req.header("If-Match"),
                req.header("If-None-Match"),
                req.header("If-Modified-Since"),
                req.header("If-Unmodified-Since"),
                obj);
    }

    /** The same rules for any four header values (CopyObject's x-amz-copy-source-if-* carry them too). */
    public static Outcome evaluate(
            String ifMatch, String ifNoneMatch, String ifModifiedSince, String ifUnmodifiedSince, ObjectRecord obj) {
        long modifiedSec = obj.getModifiedUnixMs() / 1000;
        if (ifMatch != null) {
            if (!etagMatches(ifMatch, obj.getEtag())) throw new S3Exception(S3Error.PRECONDITION_FAILED);
        } else {
            Instant since = date(ifUnmodifiedSince);
            if (since != null && modifiedSec > since.getEpochSecond())
                throw new S3Exception(S3Error.PRECONDITION_FAILED);
        }
        if (ifNoneMatch != null) {
            if (etagMatches(ifNoneMatch, obj.getEtag())) return Outcome.NOT_MODIFIED;
        } else {
            Instant since = date(ifModifiedSince);
            if (since != null && modifiedSec <= since.getEpochSecond()) return Outcome.NOT_MODIFIED;
        }
        return Outcome.PROCEED;
    }

    /** A list of quoted or bare ETags, or "*". */
    static boolean etagMatches(String header, String etag) {
        for (String candidate : header.split(",")) {
            String c = candidate.trim();
            if (c.startsWith("W/")) c = c.substring(2);
            if (c.equals("*")) return true;
            if (c.length() >= 2 && c.startsWith("\"") && c.endsWith("\"")) c = c.substring(1, c.length() - 1);
            if (c.equals(etag)) return true;
        }
        return false;
    }

    /** An unparseable date is ignored, as HTTP says. */
    private static Instant date(String s) {
        return HttpDates.parse(s);
    }
}
