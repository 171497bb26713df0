package io.basalt.gateway.s3;

import io.undertow.util.HttpString;
import java.util.Locale;

/**
 * Headers that ask for something Basalt does not do. Ignoring them would let a client believe its object
 * is encrypted or shared, so they are answered 501 NotImplemented, naming the header, before anything is
 * stored. A canned ACL that says what Basalt does anyway (only the owner's keys reach an object) is accepted.
 */
public final class UnhonouredHeaders {

    private UnhonouredHeaders() {}

    /** @throws S3Exception NotImplemented for the first header Basalt cannot honour */
    public static void refuse(S3Request req) {
        for (HttpString h : req.headerNames()) {
            String header = h.toString();
            // every request passes here: look only at x-amz-* names, without a lower-cased copy of each
            if (!header.regionMatches(true, 0, "x-amz-", 0, 6)) continue;
            String name = header.toLowerCase(Locale.ROOT);
            if (name.startsWith("x-amz-server-side-encryption")) {
                throw new S3Exception(
                        S3Error.NOT_IMPLEMENTED,
                        "Server-side encryption (" + name + ") is not supported: the object would be stored"
                                + " unencrypted. Encrypt the disks, or encrypt before upload.");
            }
            if (name.startsWith("x-amz-grant-")) {
                throw new S3Exception(
                        S3Error.NOT_IMPLEMENTED,
                        "ACL grants (" + name + ") are not supported: access follows the access keys.");
            }
            if (name.equals("x-amz-acl")) {
                String acl = req.header("x-amz-acl").trim();
                // both mean: the owner alone, which is what every object and bucket here is
                if (!acl.equals("private") && !acl.equals("bucket-owner-full-control")) {
                    throw new S3Exception(
                            S3Error.NOT_IMPLEMENTED,
                            "The canned ACL '" + acl + "' is not supported: objects and buckets are private.");
                }
            }
        }
    }
}
