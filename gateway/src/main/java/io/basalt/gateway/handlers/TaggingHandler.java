package io.basalt.gateway.handlers;

import io.basalt.core.meta.MetadataStore;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.XmlBody;
import io.basalt.proto.meta.ObjectRecord;
import java.io.IOException;
import java.util.Map;

/**
 * GetObjectTagging, PutObjectTagging, DeleteObjectTagging. Tags live in the object's record and change
 * in place (the data and its version stay), atomically against a concurrent overwrite: tags put on an
 * object that a PUT replaced meanwhile land on the new object or, if it is gone, nowhere (404).
 */
public final class TaggingHandler {

    private final S3Context ctx;

    public TaggingHandler(S3Context ctx) {
        this.ctx = ctx;
    }

    public void get(S3Request req) {
        ctx.requireBucket(req.bucket());
        String versionId = req.queryParam("versionId");
        ObjectRecord obj = versionId == null
                ? ctx.meta().getObject(req.bucket(), req.key()).orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_KEY))
                : ctx.meta()
                        .getVersion(req.bucket(), req.key(), versionId)
                        .filter(v -> !v.getDeleteMarker())
                        .orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_VERSION));
        Responses.versionId(req.exchange(), versionId);
        Responses.xml(req.exchange(), 200, ObjectTags.toXml(obj.getTagsMap()));
    }

    public void put(S3Request req) throws IOException {
        Map<String, String> tags = ObjectTags.fromXml(XmlBody.parse(req.body()));
        replaceTags(req, tags);
        Responses.empty(req.exchange(), 200);
    }

    public void delete(S3Request req) {
        replaceTags(req, Map.of());
        Responses.empty(req.exchange(), 204);
    }

    private void replaceTags(S3Request req, Map<String, String> tags) {
        ctx.requireBucket(req.bucket());
        String versionId = req.queryParam("versionId");
        if (versionId != null) {
            // tags change in place on the current version only; an older one keeps the tags it had
            boolean current = ctx.meta()
                    .getObject(req.bucket(), req.key())
                    .map(o -> MetadataStore.s3VersionId(o).equals(versionId))
                    .orElse(false);
            if (!current) {
                throw new S3Exception(S3Error.NOT_IMPLEMENTED, "Only the current version's tags can be changed here.");
            }
        }
        ctx.meta()
                .updateObject(
                        req.bucket(),
                        req.key(),
                        obj -> obj.toBuilder().clearTags().putAllTags(tags).build())
                .orElseThrow(() -> new S3Exception(S3Error.NO_SUCH_KEY));
    }
}
