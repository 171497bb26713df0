package io.basalt.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The raw-request signer against the worked examples of AWS's SigV4 documentation for S3 (header
 * authentication and aws-chunked), so that a request the gateway refuses is the gateway's verdict and not a
 * signer bug: the fuzz scenario and the gateway tests trust this signer to get past authentication.
 */
class SigV4SignerTest {

    private static final SigV4Signer EXAMPLE =
            new SigV4Signer("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1");
    private static final Instant WHEN = Instant.parse("2013-05-24T00:00:00Z");

    @Test
    void getObjectMatchesTheDocumentedSignature() {
        SigV4Signer.Signed s = EXAMPLE.sign(
                "GET",
                "examplebucket.s3.amazonaws.com",
                "/test.txt",
                null,
                Map.of("Range", "bytes=0-9"),
                Digests.EMPTY_SHA256,
                WHEN);
        assertEquals("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", s.signature());
        assertTrue(
                s.headers()
                        .get("Authorization")
                        .contains("Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"),
                s.headers().toString());
    }

    @Test
    void awsChunkedSeedAndChunkSignaturesMatchTheDocumentedOnes() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Encoding", "aws-chunked");
        headers.put("Content-Length", "66824");
        headers.put("x-amz-decoded-content-length", "66560");
        headers.put("x-amz-storage-class", "REDUCED_REDUNDANCY");
        SigV4Signer.Signed s = EXAMPLE.sign(
                "PUT",
                "s3.amazonaws.com",
                "/examplebucket/chunkObject.txt",
                null,
                headers,
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                WHEN);
        assertEquals("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", s.signature());
        byte[] first = new byte[65536];
        Arrays.fill(first, (byte) 'a');
        String one = s.chunkSignature(s.signature(), first);
        assertEquals("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648", one);
        byte[] second = new byte[1024];
        Arrays.fill(second, (byte) 'a');
        String two = s.chunkSignature(one, second);
        assertEquals("0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497", two);
        assertEquals(
                "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9", s.chunkSignature(two, new byte[0]));
    }

    @Test
    void digestsOfNothingAreTheWellKnownOnes() {
        assertEquals(Digests.EMPTY_SHA256, Digests.sha256Hex(new byte[0]));
        assertEquals("d41d8cd98f00b204e9800998ecf8427e", Digests.md5Hex(new byte[0]));
    }
}
