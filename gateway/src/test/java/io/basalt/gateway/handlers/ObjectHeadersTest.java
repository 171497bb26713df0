package io.basalt.gateway.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ObjectHeadersTest {

    /** aws-chunked is transfer framing: it goes, and what the client said besides stays exactly as sent. */
    @Test
    void awsChunkedLeavesTheRestOfContentEncodingAsSent() {
        assertEquals("gzip", ObjectHeaders.stripAwsChunked("aws-chunked,gzip"));
        assertEquals("gzip", ObjectHeaders.stripAwsChunked("aws-chunked, gzip"));
        assertEquals("gzip, br", ObjectHeaders.stripAwsChunked("aws-chunked, gzip, br"));
        assertEquals("gzip, br", ObjectHeaders.stripAwsChunked("gzip, aws-chunked, br"));
        assertEquals("gzip,  br", ObjectHeaders.stripAwsChunked("gzip,  br,AWS-CHUNKED"));
        assertEquals("", ObjectHeaders.stripAwsChunked("aws-chunked"));
    }
}
