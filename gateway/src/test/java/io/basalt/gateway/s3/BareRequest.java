package io.basalt.gateway.s3;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;

/** An S3 request as Undertow would hand it over, with no server behind it: for tests of routing and signing. */
public final class BareRequest {

    private BareRequest() {}

    /**
     * @param target  the path and query exactly as sent, e.g. {@code /b/k%20x?uploadId=u}
     * @param domain  the virtual-hosted-style domain, or null
     * @param headers {@code name:value}
     */
    public static S3Request of(String method, String target, String domain, String... headers) {
        HttpServerExchange ex = new HttpServerExchange(null);
        ex.setRequestMethod(HttpString.tryFromString(method));
        int q = target.indexOf('?');
        ex.setRequestURI(q < 0 ? target : target.substring(0, q));
        ex.setQueryString(q < 0 ? "" : target.substring(q + 1));
        for (String h : headers) {
            int colon = h.indexOf(':');
            ex.getRequestHeaders().add(HttpString.tryFromString(h.substring(0, colon)), h.substring(colon + 1));
        }
        return S3Request.parse(ex, domain);
    }
}
