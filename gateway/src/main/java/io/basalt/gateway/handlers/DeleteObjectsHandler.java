package io.basalt.gateway.handlers;

import io.basalt.core.meta.MetadataStore.DeleteResult;
import io.basalt.core.meta.VersionIds;
import io.basalt.gateway.auth.Hashing;
import io.basalt.gateway.s3.Responses;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.Xml;
import io.basalt.gateway.s3.XmlBody;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.w3c.dom.Element;

/**
 * DeleteObjects ({@code POST /bucket?delete}). Each key is deleted on its own, as S3 does:
 * one key's failure is reported in the answer and does not stop the others. Keys are deleted
 * a few at a time: each is its own etcd transaction, and one after another 1000 of them took
 * seconds (Milvus's compaction sends such batches).
 */
public final class DeleteObjectsHandler {

    private static final Logger log = LogManager.getLogger(DeleteObjectsHandler.class);
    static final int MAX_KEYS = 1000;
    private static final int PARALLEL_DELETES = 16;
    private static final int MAX_BODY_BYTES = 2 << 20;

    private final S3Context ctx;

    public DeleteObjectsHandler(S3Context ctx) {
        this.ctx = ctx;
    }

    private record Entry(String key, String versionId) {}

    /** What deleting one entry did: an error, or what the store reports. */
    private record Outcome(S3Error error, DeleteResult result) {}

    public void deleteObjects(S3Request req) throws IOException {
        ctx.requireBucket(req.bucket());
        // One byte past XmlBody's limit is enough for it to refuse an oversized document.
        byte[] body = req.body().readNBytes(MAX_BODY_BYTES + 1);
        checkContentMd5(req.header("Content-MD5"), body);
        Element root = XmlBody.parse(new ByteArrayInputStream(body));
        if (!"Delete".equals(XmlBody.localName(root))) throw new S3Exception(S3Error.MALFORMED_XML);
        boolean quiet = "true".equalsIgnoreCase(XmlBody.text(root, "Quiet"));
        List<Entry> entries = new ArrayList<>();
        for (Element o : XmlBody.children(root, "Object")) {
            List<Element> key = XmlBody.children(o, "Key");
            // Key text is taken as sent: leading or trailing spaces are part of a key.
            if (key.isEmpty() || key.get(0).getTextContent().isEmpty()) throw new S3Exception(S3Error.MALFORMED_XML);
            entries.add(new Entry(key.get(0).getTextContent(), XmlBody.text(o, "VersionId")));
        }
        if (entries.isEmpty() || entries.size() > MAX_KEYS) throw new S3Exception(S3Error.MALFORMED_XML);

        Outcome[] outcomes = deleteAll(req, entries);
        Xml doc = new Xml().root("DeleteResult");
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            S3Error error = outcomes[i].error();
            if (error != null) {
                doc.open("Error")
                        .element("Key", e.key())
                        .element("VersionId", e.versionId())
                        .element("Code", error.code())
                        .element("Message", error.message())
                        .close("Error");
            } else if (!quiet) {
                // Deleting a key that does not exist is a success too, as in S3.
                DeleteResult r = outcomes[i].result();
                doc.open("Deleted").element("Key", e.key()).element("VersionId", e.versionId());
                if (r.deleteMarker()) {
                    doc.element("DeleteMarker", true);
                    // a marker made (no version named) or removed (named)
                    if (e.versionId() == null) doc.element("DeleteMarkerVersionId", r.versionId());
                }
                doc.close("Deleted");
            }
        }
        doc.close("DeleteResult");
        Responses.xml(req.exchange(), 200, doc);
    }

    /** Deletes every entry, {@value #PARALLEL_DELETES} at a time; returns what each one did. */
    private Outcome[] deleteAll(S3Request req, List<Entry> entries) {
        Outcome[] errors = new Outcome[entries.size()];
        Semaphore slots = new Semaphore(PARALLEL_DELETES);
        // close() waits for every task, so their writes to errors are visible after it
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < entries.size(); i++) {
                int at = i;
                slots.acquireUninterruptibly();
                pool.execute(() -> {
                    try {
                        errors[at] = deleteOne(req, entries.get(at));
                    } finally {
                        slots.release();
                    }
                });
            }
        }
        return errors;
    }

    private Outcome deleteOne(S3Request req, Entry e) {
        String bucket = req.bucket();
        if (e.versionId() != null && !VersionIds.wellFormed(e.versionId()))
            return new Outcome(S3Error.NO_SUCH_VERSION, null);
        if (e.key().getBytes(StandardCharsets.UTF_8).length > S3Context.MAX_KEY_BYTES)
            return new Outcome(S3Error.KEY_TOO_LONG, null);
        // a bucket policy may allow or deny some keys and not others
        if (!ctx.permissions().mayDelete(req, e.key(), e.versionId())) return new Outcome(S3Error.ACCESS_DENIED, null);
        try {
            DeleteResult r = ctx.meta().delete(bucket, e.key(), e.versionId());
            // the bucket was there when the request began: deleted since, as each key is judged on its own
            return r.bucketFound() ? new Outcome(null, r) : new Outcome(S3Error.NO_SUCH_BUCKET, null);
        } catch (RuntimeException ex) {
            log.warn("DeleteObjects {}/{} failed: {}", bucket, e.key(), ex.toString());
            return new Outcome(S3Error.INTERNAL_ERROR, null);
        }
    }

    private static void checkContentMd5(String header, byte[] body) {
        if (header == null) return;
        byte[] expected;
        try {
            expected = Base64.getDecoder().decode(header.trim());
        } catch (IllegalArgumentException e) {
            throw new S3Exception(S3Error.INVALID_DIGEST);
        }
        if (expected.length != 16) throw new S3Exception(S3Error.INVALID_DIGEST);
        if (!MessageDigest.isEqual(expected, Hashing.md5().digest(body))) {
            throw new S3Exception(S3Error.BAD_DIGEST);
        }
    }
}
