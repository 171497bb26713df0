package io.basalt.gateway.handlers;

import io.basalt.core.meta.MetadataStore.BucketDeletion;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;
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

    public void listBuckets(S3Request req) {
        Xml doc = new Xml().root("ListAllMyBucketsResult")
                .open("Owner").element("ID", ownerId).element("DisplayName", ownerId).close("Owner")
                .open("Buckets");
        for (BucketRecord b : ctx.meta().listBuckets()) {
            doc.open("Bucket").element("Name", b.getName()).element("CreationDate", Xml.iso(b.getCreatedUnixMs())).close("Bucket");
        }
        doc.close("Buckets").close("ListAllMyBucketsResult");
        Responses.xml(req.exchange(), 200, doc);
    }

    public void create(S3Request req) throws IOException {
        String name = req.bucket();
        if (!validName(name)) throw new S3Exception(S3Error.INVALID_BUCKET_NAME);
        req.body().readAllBytes(); // an optional CreateBucketConfiguration: any region is accepted
        boolean created = ctx.meta().createBucket(BucketRecord.newBuilder()
                .setName(name).setCreatedUnixMs(System.currentTimeMillis()).build());
        if (!created) throw new S3Exception(S3Error.BUCKET_ALREADY_OWNED_BY_YOU);
        req.exchange().getResponseHeaders().put(io.undertow.util.Headers.LOCATION, "/" + name);
        Responses.empty(req.exchange(), 200);
    }

    public void head(S3Request req) {
        ctx.requireBucket(req.bucket());
        req.exchange().getResponseHeaders().put(io.undertow.util.HttpString.tryFromString("x-amz-bucket-region"), "us-east-1");
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
        ctx.requireBucket(req.bucket());
        // An empty LocationConstraint means us-east-1, which is what clients default to.
        Responses.xml(req.exchange(), 200, new Xml().root("LocationConstraint").close("LocationConstraint"));
    }

    static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches() && !name.contains("..") && !name.contains(".-")
                && !name.contains("-.") && !IP.matcher(name).matches();
    }
}
