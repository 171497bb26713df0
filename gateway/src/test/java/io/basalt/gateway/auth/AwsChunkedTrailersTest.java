package io.basalt.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.gateway.s3.S3Exception;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Unsigned aws-chunked bodies with trailers, as SDKs send them with a checksum: their trailer section is bounded. */
class AwsChunkedTrailersTest {

    private static byte[] body(int trailerLines) {
        StringBuilder b = new StringBuilder("5\r\nhello\r\n0\r\n");
        for (int i = 0; i < trailerLines; i++)
            b.append("x-amz-checksum-crc32:AAAA").append(i).append("\r\n");
        return b.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aFewTrailersAreRead() throws Exception {
        AwsChunkedInputStream in = new AwsChunkedInputStream(new ByteArrayInputStream(body(1)), null, true);
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), in.readAllBytes());
        assertEquals("AAAA0", in.trailers().get("x-amz-checksum-crc32"));
    }

    @Test
    void anEndlessTrailerSectionIsRefused() {
        AwsChunkedInputStream in = new AwsChunkedInputStream(
                new ByteArrayInputStream(body(AwsChunkedInputStream.MAX_TRAILERS + 1)), null, true);
        assertThrows(S3Exception.class, in::readAllBytes);
    }
}
