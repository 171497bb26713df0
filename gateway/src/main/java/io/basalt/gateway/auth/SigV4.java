package io.basalt.gateway.auth;

import io.basalt.gateway.s3.HttpDates;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import io.basalt.gateway.s3.UriEncoding;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * AWS Signature Version 4 for S3: the Authorization header and presigned query strings.
 * The region is taken from the client's credential scope, whatever it is: Milvus and others
 * sign with the region they were configured with, and a store that insists on its own breaks them.
 */
public final class SigV4 {

    public static final String ALGORITHM = "AWS4-HMAC-SHA256";
    static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Duration MAX_SKEW = Duration.ofMinutes(15);
    private static final Duration MAX_PRESIGN = Duration.ofDays(7);

    /** What a verified request proved; streaming bodies continue the signature chain from here. */
    public record Verified(
            String accessKey, byte[] signingKey, String amzDate, String scope, String signature, String payloadHash) {}

    private final KeyRing credentials;
    private final Clock clock;
    private final SigningKeys signingKeys = new SigningKeys();

    public SigV4(KeyRing credentials, Clock clock) {
        this.credentials = credentials;
        this.clock = clock;
    }

    public Verified verify(S3Request req) {
        String auth = req.header("Authorization");
        if (auth != null) return verifyHeader(req, auth);
        if (req.hasQuery("X-Amz-Signature")) return verifyPresigned(req);
        throw new S3Exception(S3Error.ACCESS_DENIED, "Anonymous access is not allowed.");
    }

    private Verified verifyHeader(S3Request req, String auth) {
        if (!auth.startsWith(ALGORITHM + " ")) {
            throw new S3Exception(S3Error.AUTHORIZATION_HEADER_MALFORMED, "Only " + ALGORITHM + " is supported.");
        }
        Map<String, String> fields = new TreeMap<>();
        for (String part : auth.substring(ALGORITHM.length()).split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0)
                fields.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
        }
        String credential = fields.get("Credential"),
                signedHeaders = fields.get("SignedHeaders"),
                signature = fields.get("Signature");
        if (credential == null || signedHeaders == null || signature == null) {
            throw new S3Exception(S3Error.AUTHORIZATION_HEADER_MALFORMED);
        }
        String amzDate = req.header("X-Amz-Date");
        Instant when = amzDate != null ? parseAmzDate(amzDate) : parseHttpDate(req.header("Date"));
        if (amzDate == null) amzDate = AMZ_DATE.format(when);
        checkSkew(when);
        String payloadHash = req.header("X-Amz-Content-Sha256");
        if (payloadHash == null)
            throw new S3Exception(S3Error.MISSING_SECURITY_HEADER, "Missing required header x-amz-content-sha256.");
        return check(req, credential, signedHeaders, signature, amzDate, payloadHash, null);
    }

    private Verified verifyPresigned(S3Request req) {
        Map<String, String> q = req.query();
        if (!ALGORITHM.equals(q.get("X-Amz-Algorithm"))) throw new S3Exception(S3Error.AUTHORIZATION_HEADER_MALFORMED);
        String amzDate = q.get("X-Amz-Date"), expires = q.get("X-Amz-Expires");
        if (amzDate == null
                || expires == null
                || q.get("X-Amz-Credential") == null
                || q.get("X-Amz-SignedHeaders") == null) {
            throw new S3Exception(
                    S3Error.AUTHORIZATION_HEADER_MALFORMED,
                    "Query-string authentication requires X-Amz-Date, X-Amz-Expires, X-Amz-Credential and X-Amz-SignedHeaders.");
        }
        Instant when = parseAmzDate(amzDate);
        long seconds;
        try {
            seconds = Long.parseLong(expires);
        } catch (NumberFormatException e) {
            throw new S3Exception(S3Error.AUTHORIZATION_HEADER_MALFORMED, "X-Amz-Expires must be a number of seconds.");
        }
        if (seconds < 0 || seconds > MAX_PRESIGN.toSeconds()) {
            throw new S3Exception(
                    S3Error.AUTHORIZATION_HEADER_MALFORMED, "X-Amz-Expires must be between 0 and 604800 seconds.");
        }
        Instant now = clock.instant();
        if (when.minus(MAX_SKEW).isAfter(now)) throw new S3Exception(S3Error.REQUEST_TIME_TOO_SKEWED);
        if (now.isAfter(when.plusSeconds(seconds))) throw new S3Exception(S3Error.ACCESS_DENIED, "Request has expired");
        return check(
                req,
                q.get("X-Amz-Credential"),
                q.get("X-Amz-SignedHeaders"),
                q.get("X-Amz-Signature"),
                amzDate,
                "UNSIGNED-PAYLOAD",
                "X-Amz-Signature");
    }

    private Verified check(
            S3Request req,
            String credential,
            String signedHeaders,
            String signature,
            String amzDate,
            String payloadHash,
            String excludedParam) {
        String[] scopeParts = credential.split("/");
        if (scopeParts.length != 5 || !"aws4_request".equals(scopeParts[4])) {
            throw new S3Exception(S3Error.AUTHORIZATION_HEADER_MALFORMED, "Malformed credential scope: " + credential);
        }
        // the scope's day is X-Amz-Date's and its service is s3: a signature made for another day or another
        // AWS service (a key derived for it) is not one for this request
        if (!amzDate.startsWith(scopeParts[1]) || scopeParts[1].length() != 8) {
            throw new S3Exception(
                    S3Error.AUTHORIZATION_HEADER_MALFORMED,
                    "Invalid credential date \"" + scopeParts[1] + "\": it is not the day of X-Amz-Date " + amzDate
                            + ".");
        }
        if (!"s3".equals(scopeParts[3])) {
            throw new S3Exception(
                    S3Error.AUTHORIZATION_HEADER_MALFORMED,
                    "The credential scope names service '" + scopeParts[3] + "'; this endpoint belongs to 's3'.");
        }
        String accessKey = scopeParts[0];
        String secret =
                credentials.secretFor(accessKey).orElseThrow(() -> new S3Exception(S3Error.INVALID_ACCESS_KEY_ID));
        String scope = String.join("/", scopeParts[1], scopeParts[2], scopeParts[3], scopeParts[4]);
        requireSigned(req, signedHeaders);
        String canonical = canonicalRequest(req, signedHeaders, payloadHash, excludedParam);
        String toSign = ALGORITHM + "\n" + amzDate + "\n" + scope + "\n" + Hashing.sha256Hex(canonical);
        byte[] key = signingKeys.get(accessKey, secret, scopeParts[1], scopeParts[2], scopeParts[3]);
        String expected = Hashing.hex(Hashing.hmac(key, toSign));
        if (!Hashing.sameSignature(expected, signature)) throw new S3Exception(S3Error.SIGNATURE_DOES_NOT_MATCH);
        return new Verified(accessKey, key, amzDate, scope, expected, payloadHash);
    }

    /**
     * The signature must cover {@code host} and every {@code x-amz-*} header the request carries, as S3 requires:
     * otherwise a header added to a signed request changes what it does without touching the signature (a
     * presigned PUT URL plus an {@code x-amz-copy-source} header would copy any object the key can read).
     */
    static void requireSigned(S3Request req, String signedHeaders) {
        java.util.Set<String> signed = new java.util.HashSet<>();
        for (String name : signedHeaders.split(";")) signed.add(name.trim().toLowerCase(Locale.ROOT));
        List<String> unsigned = new ArrayList<>();
        if (!signed.contains("host")) unsigned.add("host");
        for (var name : req.headerNames()) {
            String lower = name.toString().toLowerCase(Locale.ROOT);
            if (lower.startsWith("x-amz-") && !signed.contains(lower)) unsigned.add(lower);
        }
        if (!unsigned.isEmpty()) {
            unsigned.sort(null);
            throw new S3Exception(
                    S3Error.ACCESS_DENIED,
                    "There were headers present in the request which were not signed: " + String.join(", ", unsigned));
        }
    }

    static byte[] signingKey(String secret, String date, String region, String service) {
        byte[] k = Hashing.hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
        k = Hashing.hmac(k, region);
        k = Hashing.hmac(k, service);
        return Hashing.hmac(k, "aws4_request");
    }

    static String canonicalRequest(S3Request req, String signedHeaders, String payloadHash, String excludedParam) {
        StringBuilder sb = new StringBuilder(512);
        sb.append(req.method()).append('\n');
        // S3 does not normalise paths: re-encode the decoded path once, slashes kept.
        sb.append(UriEncoding.encode(UriEncoding.decode(req.rawPath(), false), true))
                .append('\n');
        List<String> params = new ArrayList<>();
        for (Map.Entry<String, String> e : req.query().entrySet()) {
            if (e.getKey().equals(excludedParam)) continue;
            params.add(UriEncoding.encode(e.getKey(), false) + "=" + UriEncoding.encode(e.getValue(), false));
        }
        params.sort(null);
        sb.append(String.join("&", params)).append('\n');
        for (String name : signedHeaders.split(";")) {
            // the client signed the text it meant, which is not always the bytes as Undertow reads them
            String value = req.header(name) == null ? null : S3Request.decodedText(req.header(name));
            if (value == null && name.equals("host")) value = req.exchange().getHostAndPort();
            sb.append(name.toLowerCase(Locale.ROOT))
                    .append(':')
                    .append(value == null ? "" : trimAll(value))
                    .append('\n');
        }
        sb.append('\n').append(signedHeaders).append('\n').append(payloadHash);
        return sb.toString();
    }

    private static String trimAll(String v) {
        return v.trim().replaceAll(" +", " ");
    }

    private void checkSkew(Instant when) {
        Duration skew = Duration.between(when, clock.instant()).abs();
        if (skew.compareTo(MAX_SKEW) > 0) throw new S3Exception(S3Error.REQUEST_TIME_TOO_SKEWED);
    }

    private static Instant parseAmzDate(String s) {
        try {
            return Instant.from(AMZ_DATE.parse(s));
        } catch (DateTimeParseException e) {
            throw new S3Exception(
                    S3Error.ACCESS_DENIED, "AWS authentication requires a valid Date or x-amz-date header");
        }
    }

    private static Instant parseHttpDate(String s) {
        if (s == null)
            throw new S3Exception(
                    S3Error.ACCESS_DENIED, "AWS authentication requires a valid Date or x-amz-date header");
        Instant when = HttpDates.parse(s);
        if (when == null)
            throw new S3Exception(
                    S3Error.ACCESS_DENIED, "AWS authentication requires a valid Date or x-amz-date header");
        return when;
    }
}
