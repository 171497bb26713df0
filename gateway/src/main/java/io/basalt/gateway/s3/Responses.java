package io.basalt.gateway.s3;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.charset.StandardCharsets;

/** Writing S3 answers: XML documents, empty answers and error documents. */
public final class Responses {

    private Responses() {}

    public static void xml(HttpServerExchange ex, int status, Xml doc) {
        byte[] body = doc.toString().getBytes(StandardCharsets.UTF_8);
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/xml");
        ex.setResponseContentLength(body.length);
        ex.getResponseSender().send(java.nio.ByteBuffer.wrap(body));
    }

    public static void empty(HttpServerExchange ex, int status) {
        ex.setStatusCode(status);
        ex.setResponseContentLength(0);
    }

    /** An S3 error document; HEAD answers carry the status alone. */
    public static void error(HttpServerExchange ex, S3Exception e, String resource, String requestId) {
        ex.setStatusCode(e.error().status());
        if (ex.getRequestMethod().toString().equals("HEAD")) {
            ex.setResponseContentLength(0);
            return;
        }
        Xml doc = new Xml()
                .open("Error")
                .element("Code", e.error().code())
                .element("Message", e.getMessage())
                .element("Resource", resource)
                .element("RequestId", requestId)
                .close("Error");
        byte[] body = doc.toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/xml");
        ex.setResponseContentLength(body.length);
        ex.getResponseSender().send(java.nio.ByteBuffer.wrap(body));
    }

    private static final io.undertow.util.HttpString VERSION_ID =
            io.undertow.util.HttpString.tryFromString("x-amz-version-id");
    private static final io.undertow.util.HttpString DELETE_MARKER =
            io.undertow.util.HttpString.tryFromString("x-amz-delete-marker");

    /** x-amz-version-id, when the bucket's versioning gave the version one (null: unversioned, no header). */
    public static void versionId(HttpServerExchange ex, String versionId) {
        if (versionId != null) ex.getResponseHeaders().put(VERSION_ID, versionId);
    }

    /** x-amz-delete-marker: true, and the marker's version id. */
    public static void deleteMarker(HttpServerExchange ex, String versionId) {
        ex.getResponseHeaders().put(DELETE_MARKER, "true");
        versionId(ex, versionId);
    }

    public static String quoted(String etag) {
        return "\"" + etag + "\"";
    }
}
