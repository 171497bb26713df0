package io.basalt.gateway.handlers;

import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;
import io.basalt.gateway.s3.XmlBody;
import java.io.IOException;
import org.w3c.dom.Element;

/**
 * Get/PutBucketVersioning. A bucket starts unversioned; once Enabled it can be Suspended but, as on S3,
 * never unversioned again. MFA delete is not offered.
 */
public final class VersioningHandler {

    private final S3Context ctx;

    public VersioningHandler(S3Context ctx) {
        this.ctx = ctx;
    }

    public void get(S3Request req) {
        ctx.requireBucket(req.bucket());
        Xml doc = new Xml().root("VersioningConfiguration");
        switch (ctx.meta().versioning(req.bucket())) {
            case ENABLED -> doc.element("Status", "Enabled");
            case SUSPENDED -> doc.element("Status", "Suspended");
            case UNVERSIONED -> {}
        }
        Responses.xml(req.exchange(), 200, doc.close("VersioningConfiguration"));
    }

    public void put(S3Request req) throws IOException {
        Element root = XmlBody.parse(req.body());
        if (!XmlBody.localName(root).equals("VersioningConfiguration")) throw new S3Exception(S3Error.MALFORMED_XML);
        if ("Enabled".equals(XmlBody.text(root, "MfaDelete"))) {
            throw new S3Exception(S3Error.NOT_IMPLEMENTED, "MFA delete is not supported.");
        }
        String status = XmlBody.text(root, "Status");
        if (!"Enabled".equals(status) && !"Suspended".equals(status)) throw new S3Exception(S3Error.MALFORMED_XML);
        // Suspended on a bucket never versioned is recorded too, as on S3: its writes are then "null" versions
        if (!ctx.meta().setVersioning(req.bucket(), status.equals("Enabled"))) {
            throw new S3Exception(S3Error.NO_SUCH_BUCKET);
        }
        Responses.empty(req.exchange(), 200);
    }
}
