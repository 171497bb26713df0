package io.basalt.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.gateway.checksum.RequestChecksum;
import io.basalt.gateway.s3.BareRequest;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import io.basalt.gateway.s3.S3Request;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The gateway's SigV4 against the worked examples of the S3 API reference, no cluster needed:
 * "Signature Calculations for the Authorization Header: Transferring Payload in a Single Chunk"
 * (GET Object with Range, PUT Object, GET Bucket Lifecycle, GET Bucket (List Objects)), its
 * chunked-upload and trailing-header pages (PUT Object in 64 KiB + 1 KiB chunks), and
 * "Authenticating Requests: Using Query Parameters" (a presigned GET). All use AWS's example
 * key pair, us-east-1, and the time 20130524T000000Z.
 */
class SigV4ExamplesTest {

    private static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
    private static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final Instant SIGNED_AT = Instant.parse("2013-05-24T00:00:00Z");
    private static final String AMZ_DATE = "x-amz-date:20130524T000000Z";
    private static final String EMPTY_BODY = "x-amz-content-sha256:" + Hashing.EMPTY_SHA256;
    /** The examples address examplebucket virtual-hosted style, except the chunked ones (path-style). */
    private static final String DOMAIN = "s3.amazonaws.com";

    private static final String HOST = "Host:examplebucket.s3.amazonaws.com";

    private final SigV4 sigV4 = signerAt(SIGNED_AT);

    @Test
    void getObjectWithRange() {
        assertSigned(
                "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
                "GET",
                "/test.txt",
                "host;range;x-amz-content-sha256;x-amz-date",
                "Range:bytes=0-9",
                EMPTY_BODY);
    }

    @Test
    void aSignedHeaderChangedInTransitIsRefused() {
        S3Request req = request(
                "GET",
                "/test.txt",
                HOST,
                "Range:bytes=0-10",
                EMPTY_BODY,
                AMZ_DATE,
                authorization(
                        "host;range;x-amz-content-sha256;x-amz-date",
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
        assertEquals(
                S3Error.SIGNATURE_DOES_NOT_MATCH,
                assertThrows(S3Exception.class, () -> sigV4.verify(req)).error());
    }

    /** The AWS example with an x-amz header added in transit: refused before any signature is compared. */
    @Test
    void anUnsignedAmzHeaderIsRefused() {
        S3Request req = request(
                "GET",
                "/test.txt",
                HOST,
                "Range:bytes=0-9",
                EMPTY_BODY,
                AMZ_DATE,
                "x-amz-copy-source:/otherbucket/secret",
                authorization(
                        "host;range;x-amz-content-sha256;x-amz-date",
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
        S3Exception e = assertThrows(S3Exception.class, () -> sigV4.verify(req));
        assertEquals(S3Error.ACCESS_DENIED, e.error());
        assertTrue(e.getMessage().contains("x-amz-copy-source"), e.getMessage());
    }

    /** A signature that leaves out the host: S3 requires it signed (else a request could be replayed elsewhere). */
    @Test
    void aSignatureWithoutTheHostIsRefused() {
        S3Request req = request(
                "GET",
                "/test.txt",
                HOST,
                EMPTY_BODY,
                AMZ_DATE,
                authorization("x-amz-content-sha256;x-amz-date", "0".repeat(64)));
        S3Exception e = assertThrows(S3Exception.class, () -> sigV4.verify(req));
        assertEquals(S3Error.ACCESS_DENIED, e.error());
        assertTrue(e.getMessage().contains("host"), e.getMessage());
    }

    @Test
    void aScopeOfAnotherDayOrServiceIsMalformed() {
        for (String scope :
                new String[] {"20130523/us-east-1/s3/aws4_request", "20130524/us-east-1/sts/aws4_request"}) {
            S3Request req = request(
                    "GET",
                    "/test.txt",
                    HOST,
                    EMPTY_BODY,
                    AMZ_DATE,
                    "Authorization:AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY + "/" + scope
                            + ",SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=" + "0".repeat(64));
            S3Exception e = assertThrows(S3Exception.class, () -> sigV4.verify(req));
            assertEquals(S3Error.AUTHORIZATION_HEADER_MALFORMED, e.error(), scope);
        }
    }

    /** A key whose '$' the canonical URI encodes, a Date header besides x-amz-date, and a signed body. */
    @Test
    void putObject() throws IOException {
        byte[] body = "Welcome to Amazon S3.".getBytes(StandardCharsets.UTF_8);
        S3Request req = request(
                "PUT",
                "/test$file.text",
                HOST,
                "Date:Fri, 24 May 2013 00:00:00 GMT",
                "x-amz-storage-class:REDUCED_REDUNDANCY",
                "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
                AMZ_DATE,
                authorization(
                        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
        SigV4.Verified auth = sigV4.verify(req);
        assertEquals("98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd", auth.signature());
        assertArrayEquals(
                body, BodyVerifier.wrap(new ByteArrayInputStream(body), auth).readAllBytes());

        byte[] other = "Welcome to Amazon S4.".getBytes(StandardCharsets.UTF_8);
        InputStream forged = BodyVerifier.wrap(new ByteArrayInputStream(other), auth);
        assertEquals(
                S3Error.SHA256_MISMATCH,
                assertThrows(S3Exception.class, forged::readAllBytes).error());
    }

    /** A subresource without a value signs as "lifecycle=". */
    @Test
    void getBucketLifecycle() {
        assertSigned(
                "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
                "GET",
                "/?lifecycle",
                "host;x-amz-content-sha256;x-amz-date",
                EMPTY_BODY);
    }

    @Test
    void listObjects() {
        assertSigned(
                "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
                "GET",
                "/?max-keys=2&prefix=J",
                "host;x-amz-content-sha256;x-amz-date",
                EMPTY_BODY);
    }

    @Test
    void presignedGetObject() {
        String url = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
        assertEquals(
                "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
                sigV4.verify(request("GET", url, HOST)).signature());
        // valid for the 86400 seconds it names, and not one more
        signerAt(SIGNED_AT.plusSeconds(86_400)).verify(request("GET", url, HOST));
        S3Exception expired = assertThrows(
                S3Exception.class, () -> signerAt(SIGNED_AT.plusSeconds(86_401)).verify(request("GET", url, HOST)));
        assertEquals(S3Error.ACCESS_DENIED, expired.error());
    }

    private static final String CHUNKED_HEADERS =
            "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class";

    /** 66,560 bytes of 'a' sent as a 64 KiB chunk, a 1 KiB chunk and the empty final chunk, each signed. */
    @Test
    void chunkedPutObject() throws IOException {
        S3Request req = chunkedRequest(
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                CHUNKED_HEADERS,
                "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
                "Content-Length:66824");
        byte[] body = chunkedBody(
                new String[] {
                    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
                },
                "");
        assertEquals(66_824, body.length, "the example's Content-Length");
        SigV4.Verified auth = sigV4.verify(req);
        assertArrayEquals(
                a(66_560),
                BodyVerifier.wrap(new ByteArrayInputStream(body), auth).readAllBytes());

        body[1000] = 'b'; // one byte of the first chunk
        InputStream tampered = BodyVerifier.wrap(new ByteArrayInputStream(body), auth);
        assertEquals(
                S3Error.SIGNATURE_DOES_NOT_MATCH,
                assertThrows(S3Exception.class, tampered::readAllBytes).error());
    }

    /** The same upload with a signed CRC32C trailer after the final chunk. */
    @Test
    void chunkedPutObjectWithTrailer() throws IOException {
        S3Request req = chunkedRequest(
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
                "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
                "x-amz-trailer:x-amz-checksum-crc32c");
        byte[] body = chunkedBody(
                new String[] {
                    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
                    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
                    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"
                },
                "x-amz-checksum-crc32c:sOO8/Q==\r\n"
                        + "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n");
        req.body(BodyVerifier.wrap(new ByteArrayInputStream(body), sigV4.verify(req)));
        // the trailer's CRC32C is checked against the bytes, as a PUT does
        assertArrayEquals(a(66_560), RequestChecksum.wrap(req).readAllBytes());
    }

    /** A bodiless request to examplebucket, signed with {@code signature}, verifies to it. */
    private void assertSigned(String signature, String method, String target, String signedHeaders, String... headers) {
        String[] all = Arrays.copyOf(headers, headers.length + 3);
        all[headers.length] = HOST;
        all[headers.length + 1] = AMZ_DATE;
        all[headers.length + 2] = authorization(signedHeaders, signature);
        assertEquals(signature, sigV4.verify(request(method, target, all)).signature());
    }

    private static S3Request chunkedRequest(
            String mode, String signedHeaders, String seedSignature, String extraHeader) {
        return request(
                "PUT",
                "/examplebucket/chunkObject.txt",
                "Host:s3.amazonaws.com",
                "Content-Encoding:aws-chunked",
                "x-amz-content-sha256:" + mode,
                AMZ_DATE,
                "x-amz-decoded-content-length:66560",
                "x-amz-storage-class:REDUCED_REDUNDANCY",
                extraHeader,
                authorization(signedHeaders, seedSignature));
    }

    /** The example's aws-chunked body: 64 KiB and 1 KiB of 'a', the final empty chunk, then the trailer (if any). */
    private static byte[] chunkedBody(String[] chunkSignatures, String trailer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[] sizes = {65_536, 1_024, 0};
        for (int i = 0; i < sizes.length; i++) {
            out.writeBytes((Integer.toHexString(sizes[i]) + ";chunk-signature=" + chunkSignatures[i] + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(a(sizes[i]));
            if (sizes[i] > 0) out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes((trailer + "\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static byte[] a(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'a');
        return b;
    }

    private static String authorization(String signedHeaders, String signature) {
        return "Authorization:AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY + "/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=" + signedHeaders + ",Signature=" + signature;
    }

    private static S3Request request(String method, String target, String... headers) {
        return BareRequest.of(method, target, DOMAIN, headers);
    }

    private static SigV4 signerAt(Instant now) {
        return new SigV4(Credentials.single(ACCESS_KEY, SECRET_KEY), Clock.fixed(now, ZoneOffset.UTC));
    }
}
