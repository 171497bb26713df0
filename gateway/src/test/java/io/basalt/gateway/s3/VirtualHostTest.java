package io.basalt.gateway.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class VirtualHostTest {

    @Test
    void bucketComesFromTheHostUnderTheDomain() {
        assertEquals("b", S3Request.bucketFromHost("b.s3.local", "s3.local"));
        assertEquals("my.bucket", S3Request.bucketFromHost("My.Bucket.S3.local:9000", "s3.local"));
        assertEquals("b", S3Request.bucketFromHost("b.s3.local.", "s3.local"));
    }

    @Test
    void otherHostsArePathStyle() {
        assertNull(S3Request.bucketFromHost("s3.local:9000", "s3.local"));
        assertNull(S3Request.bucketFromHost("127.0.0.1:9000", "s3.local"));
        assertNull(S3Request.bucketFromHost("bs3.local", "s3.local"));
        assertNull(S3Request.bucketFromHost("b.s3.local", null));
        assertNull(S3Request.bucketFromHost("[::1]:9000", "s3.local"));
    }
}
