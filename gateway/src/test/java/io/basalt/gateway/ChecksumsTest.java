package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.basalt.testkit.TestBytes;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** x-amz-checksum-*: verified on upload (header or trailer), stored, returned with checksum mode. */
class ChecksumsTest {

    static final String BUCKET = "checksums";

    @RegisterExtension
    static final ClusterExtension env = new ClusterExtension(BUCKET);

    @Test
    void everyAlgorithmIsVerifiedStoredAndReturned() throws Exception {
        byte[] data = TestBytes.random(3, 1_500_000);
        CRC32 crc32 = new CRC32();
        crc32.update(data);
        CRC32C crc32c = new CRC32C();
        crc32c.update(data);
        String expectedCrc32 =
                b64(ByteBuffer.allocate(4).putInt((int) crc32.getValue()).array());
        String expectedCrc32c =
                b64(ByteBuffer.allocate(4).putInt((int) crc32c.getValue()).array());
        String expectedSha256 = b64(MessageDigest.getInstance("SHA-256").digest(data));
        String expectedSha1 = b64(MessageDigest.getInstance("SHA-1").digest(data));

        for (ChecksumAlgorithm alg : new ChecksumAlgorithm[] {
            ChecksumAlgorithm.CRC32, ChecksumAlgorithm.CRC32_C, ChecksumAlgorithm.SHA256, ChecksumAlgorithm.SHA1
        }) {
            // CRC64NVME needs the AWS CRT in the Java SDK; Crc64NvmeTest checks our implementation.
            String key = "alg-" + alg;
            env.s3().putObject(b -> b.bucket(BUCKET).key(key).checksumAlgorithm(alg), RequestBody.fromBytes(data));
            // The SDK validates the returned checksum against the bytes it receives.
            ResponseBytes<GetObjectResponse> got =
                    env.s3().getObjectAsBytes(b -> b.bucket(BUCKET).key(key).checksumMode(ChecksumMode.ENABLED));
            assertArrayEquals(data, got.asByteArray());
            HeadObjectResponse head =
                    env.s3().headObject(b -> b.bucket(BUCKET).key(key).checksumMode(ChecksumMode.ENABLED));
            switch (alg) {
                case CRC32 -> assertEquals(expectedCrc32, head.checksumCRC32());
                case CRC32_C -> assertEquals(expectedCrc32c, head.checksumCRC32C());
                case SHA256 -> assertEquals(expectedSha256, head.checksumSHA256());
                case SHA1 -> assertEquals(expectedSha1, head.checksumSHA1());
                default -> throw new AssertionError(alg);
            }
        }
        HeadObjectResponse plain = env.s3().headObject(b -> b.bucket(BUCKET).key("alg-CRC32"));
        assertNull(plain.checksumCRC32(), "checksums are only returned with x-amz-checksum-mode: ENABLED");
    }

    @Test
    void wrongChecksumIsBadDigestAndNothingIsStored() {
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .putObject(
                                b -> b.bucket(BUCKET).key("wrong").checksumCRC32C("AAAAAA=="),
                                RequestBody.fromString("some bytes")));
        assertEquals(400, e.statusCode());
        assertEquals("BadDigest", e.awsErrorDetails().errorCode());
        S3Exception missing = assertThrows(
                S3Exception.class,
                () -> env.s3().headObject(b -> b.bucket(BUCKET).key("wrong")));
        assertEquals(404, missing.statusCode());
    }

    @Test
    void wrongChecksumOfABodyOfSeveralStripesIsBadDigest() {
        // 2.5 MiB: the checksum is computed on the encoder's hashing thread, not as the body is read
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .putObject(
                                b -> b.bucket(BUCKET).key("wrong-long").checksumCRC32C("AAAAAA=="),
                                RequestBody.fromBytes(new byte[(5 << 20) / 2])));
        assertEquals("BadDigest", e.awsErrorDetails().errorCode());
        S3Exception missing = assertThrows(
                S3Exception.class,
                () -> env.s3().headObject(b -> b.bucket(BUCKET).key("wrong-long")));
        assertEquals(404, missing.statusCode());
    }

    @Test
    void wrongContentMd5IsBadDigest() {
        S3Exception e = assertThrows(
                S3Exception.class,
                () -> env.s3()
                        .putObject(
                                b -> b.bucket(BUCKET).key("md5").contentMD5("1B2M2Y8AsgTpgAmY7PhCfg=="),
                                RequestBody.fromString("not empty")));
        assertEquals("BadDigest", e.awsErrorDetails().errorCode());
        assertThrows(
                S3Exception.class,
                () -> env.s3().headObject(b -> b.bucket(BUCKET).key("md5")));
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}
