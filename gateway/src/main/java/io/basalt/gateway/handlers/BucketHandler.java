package io.basalt.gateway.handlers;

import io.basalt.core.meta.MetadataStore.BucketDeletion;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;
import io.basalt.gateway.s3.XmlBody;
import io.basalt.proto.meta.BucketRecord;
import java.io.IOException;
import java.util.regex.Pattern;

/** ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation. */
public final class BucketHandler {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");

    private final S3Context ctx;
    private final String ownerId;

    public BucketHandler(S3Context ctx, String ownerId) {
        this.ctx = ctx;
        this.ownerId = ownerId;
    }

    /** ListBuckets; with max-buckets it pages by continuation token (the last name listed), as S3 does now. */
    public void listBuckets(S3Request req) {
        String prefix = req.queryParam("prefix");
        String token = req.queryParam("continuation-token");
        String after = token == null || token.isEmpty() ? null : ListObjectsHandler.decodeToken(token);
        int max = maxBuckets(req.queryParam("max-buckets"));
        Xml doc = new Xml()
                .root("ListAllMyBucketsResult")
                .open("Owner")
                .element("ID", ownerId)
                .element("DisplayName", ownerId)
                .close("Owner")
                .open("Buckets");
        String last = null;
        int listed = 0;
        boolean truncated = false;
        for (BucketRecord b : ctx.meta().listBuckets()) { // etcd returns them in name order
            if (prefix != null && !b.getName().startsWith(prefix)) continue;
            if (after != null && b.getName().compareTo(after) <= 0) continue;
            if (!ctx.permissions().mayList(req.accessKeyId(), b.getName())) continue;
            if (listed == max) {
                truncated = true;
                break;
            }
            doc.open("Bucket")
                    .element("Name", b.getName())
                    .element("CreationDate", Xml.iso(b.getCreatedUnixMs()))
                    .element("BucketRegion", region(b))
                    .close("Bucket");
            last = b.getName();
            listed++;
        }
        doc.close("Buckets");
        if (truncated) doc.element("ContinuationToken", ListObjectsHandler.encodeToken(last));
        doc.element("Prefix", prefix).close("ListAllMyBucketsResult");
        Responses.xml(req.exchange(), 200, doc);
    }

    /** Unlimited when absent; otherwise 1 to 10000, as S3 accepts. */
    private static int maxBuckets(String v) {
        if (v == null || v.isEmpty()) return Integer.MAX_VALUE;
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1 && n <= 10_000) return n;
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new S3Exception(S3Error.INVALID_ARGUMENT, "Argument max-buckets must be an integer between 1 and 10000");
    }

    public void create(S3Request req) throws IOException {
        String name = req.bucket();
        if (!validName(name)) throw new S3Exception(S3Error.INVALID_BUCKET_NAME);
        // An optional CreateBucketConfiguration: any region is accepted, and named back by GetBucketLocation.
        String location = "";
        if (req.contentLength() != 0) {
            byte[] body = req.body().readAllBytes();
            if (body.length > 0) {
                org.w3c.dom.Element root = XmlBody.parse(new java.io.ByteArrayInputStream(body));
                if (!"CreateBucketConfiguration".equals(XmlBody.localName(root)))
                    throw new S3Exception(S3Error.MALFORMED_XML);
                String constraint = XmlBody.text(root, "LocationConstraint");
                if (constraint != null && !constraint.equals("us-east-1")) location = constraint;
            }
        }
        // Re-creating a bucket you own succeeds, as in AWS us-east-1 (one account owns every bucket here).
        ctx.meta()
                .createBucket(BucketRecord.newBuilder()
                        .setName(name)
                        .setCreatedUnixMs(System.currentTimeMillis())
                        .setLocation(location)
                        .build());
        req.exchange().getResponseHeaders().put(io.undertow.util.Headers.LOCATION, "/" + name);
        Responses.empty(req.exchange(), 200);
    }

    public void head(S3Request req) {
        BucketRecord bucket = ctx.requireBucket(req.bucket());
        req.exchange()
                .getResponseHeaders()
                .put(io.undertow.util.HttpString.tryFromString("x-amz-bucket-region"), region(bucket));
        Responses.empty(req.exchange(), 200);
    }

    public void delete(S3Request req) {
        BucketDeletion r = ctx.meta().deleteBucket(req.bucket());
        switch (r) {
            case NO_SUCH_BUCKET -> throw new S3Exception(S3Error.NO_SUCH_BUCKET);
            case NOT_EMPTY -> throw new S3Exception(S3Error.BUCKET_NOT_EMPTY);
            case DELETED -> Responses.empty(req.exchange(), 204);
        }
    }

    public void location(S3Request req) {
        BucketRecord bucket = ctx.requireBucket(req.bucket());
        // An empty LocationConstraint means us-east-1, which is what clients default to.
        Responses.xml(
                req.exchange(),
                200,
                new Xml().root("LocationConstraint").text(bucket.getLocation()).close("LocationConstraint"));
    }

    /** The region a bucket answers for: the one it was created with, us-east-1 by default. */
    private static String region(BucketRecord bucket) {
        return bucket.getLocation().isEmpty() ? "us-east-1" : bucket.getLocation();
    }

    static boolean validName(String name) {
        return name != null
                && NAME.matcher(name).matches()
                && !name.contains("..")
                && !name.contains(".-")
                && !name.contains("-.")
                && !IP.matcher(name).matches();
    }
}
