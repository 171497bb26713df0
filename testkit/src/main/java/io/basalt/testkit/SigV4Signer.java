package io.basalt.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A small SigV4 signer for hand-made requests: any signing time (a skewed clock), any path bytes, and the
 * aws-chunked chunk signatures. The canonical path and query are formed as the gateway forms them (decode the
 * percent-encoding once, re-encode), so even a hostile path gets past authentication and reaches the handlers.
 * The one signer for raw requests (gateway tests, chaos fuzz and clock-skew): the SDK's AwsV4HttpSigner
 * refuses or rewrites exactly the requests those cases need (bad escapes, a decoded length that is no
 * number, chunk signatures chained from a wrong seed), and it corrects its own clock.
 */
public final class SigV4Signer {

    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final String accessKey, secretKey, region;

    public SigV4Signer(String accessKey, String secretKey, String region) {
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.region = region;
    }

    /** What a signed request needs to carry, and what its aws-chunked body's chunk signatures chain from. */
    public record Signed(
            Map<String, String> headers, String signature, byte[] signingKey, String amzDate, String scope) {
        /** The signature of the next aws-chunked chunk after {@code previous}. */
        public String chunkSignature(String previous, byte[] chunk) {
            String toSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + previous + "\n"
                    + Digests.EMPTY_SHA256 + "\n" + Digests.sha256Hex(chunk);
            return Digests.hex(hmac(signingKey, toSign));
        }
    }

    /**
     * Signs a header-authenticated request.
     *
     * @param rawPath  the path as it goes on the wire, percent-encoded (or not) as the caller likes
     * @param rawQuery the query as it goes on the wire, or null
     * @param headers  headers to sign besides host, x-amz-date and x-amz-content-sha256 (added here)
     */
    public Signed sign(
            String method,
            String host,
            String rawPath,
            String rawQuery,
            Map<String, String> headers,
            String payloadHash,
            Instant when) {
        String amzDate = AMZ_DATE.format(when);
        String date = amzDate.substring(0, 8);
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put("host", host);
        all.put("x-amz-date", amzDate);
        all.put("x-amz-content-sha256", payloadHash);
        TreeMap<String, String> canon = new TreeMap<>();
        all.forEach((k, v) -> canon.put(k.toLowerCase(Locale.ROOT), v.trim().replaceAll(" +", " ")));
        String signedHeaders = String.join(";", canon.keySet());
        StringBuilder cr = new StringBuilder();
        cr.append(method)
                .append('\n')
                .append(encode(decode(rawPath, false), true))
                .append('\n')
                .append(canonicalQuery(rawQuery, null))
                .append('\n');
        canon.forEach((k, v) -> cr.append(k).append(':').append(v).append('\n'));
        cr.append('\n').append(signedHeaders).append('\n').append(payloadHash);
        String scope = date + "/" + region + "/s3/aws4_request";
        byte[] key = signingKey(date);
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
                + Digests.sha256Hex(cr.toString().getBytes(StandardCharsets.UTF_8));
        String signature = Digests.hex(hmac(key, toSign));
        all.put(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=" + accessKey + "/" + scope + ", SignedHeaders=" + signedHeaders
                        + ", Signature=" + signature);
        return new Signed(all, signature, key, amzDate, scope);
    }

    /** A presigned query string (host signed only, UNSIGNED-PAYLOAD) for {@code method rawPath}, valid from {@code when}. */
    public String presignQuery(String method, String host, String rawPath, Instant when, long expiresSeconds) {
        String amzDate = AMZ_DATE.format(when);
        String date = amzDate.substring(0, 8);
        String scope = date + "/" + region + "/s3/aws4_request";
        String q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + encode(accessKey + "/" + scope, false)
                + "&X-Amz-Date=" + amzDate + "&X-Amz-Expires=" + expiresSeconds + "&X-Amz-SignedHeaders=host";
        String cr = method + "\n" + encode(decode(rawPath, false), true) + "\n" + canonicalQuery(q, null) + "\n"
                + "host:" + host + "\n\nhost\nUNSIGNED-PAYLOAD";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
                + Digests.sha256Hex(cr.getBytes(StandardCharsets.UTF_8));
        return q + "&X-Amz-Signature=" + Digests.hex(hmac(signingKey(date), toSign));
    }

    private byte[] signingKey(String date) {
        byte[] k = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), date);
        k = hmac(k, region);
        k = hmac(k, "s3");
        return hmac(k, "aws4_request");
    }

    private static String canonicalQuery(String raw, String excluded) {
        if (raw == null || raw.isEmpty()) return "";
        Map<String, String> seen = new LinkedHashMap<>();
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), true);
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), true);
            seen.putIfAbsent(name, value);
        }
        List<String> params = new ArrayList<>();
        seen.forEach((k, v) -> {
            if (!k.equals(excluded)) params.add(encode(k, false) + "=" + encode(v, false));
        });
        params.sort(null);
        return String.join("&", params);
    }

    /** RFC 3986 percent-encoding as SigV4 wants it. */
    public static String encode(String s, boolean keepSlash) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '_'
                    || c == '.'
                    || c == '~'
                    || (keepSlash && c == '/')) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format("%02X", c));
            }
        }
        return sb.toString();
    }

    /** Lenient percent-decoding into UTF-8 (bad escapes kept as they are, bad UTF-8 replaced). */
    public static String decode(String s, boolean plusIsSpace) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%'
                    && i + 2 < s.length()
                    && Character.digit(s.charAt(i + 1), 16) >= 0
                    && Character.digit(s.charAt(i + 2), 16) >= 0) {
                out.write(Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else if (c == '+' && plusIsSpace) {
                out.write(' ');
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
                byte[] b = s.substring(i, end).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
                i = end - 1;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
