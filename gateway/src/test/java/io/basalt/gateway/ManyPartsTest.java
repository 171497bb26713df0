package io.basalt.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.testkit.TestBytes;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.logging.log4j.LogManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;

/**
 * A 1000-part upload. The gateway here accepts 1 KiB parts (S3's 5 MiB minimum would make this
 * 5 GB), which changes nothing in how Complete stitches the parts' metadata.
 */
class ManyPartsTest {

    @TempDir
    static Path dir;

    static TestCluster cluster;
    static S3Client s3;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestCluster(dir, 6, 4, 2, cfg -> cfg.withMinPartSize(1));
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket("many"));
    }

    @AfterAll
    static void stop() {
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void thousandPartsCompleteAndReadBack() throws Exception {
        int parts = 1000;
        String id = s3.createMultipartUpload(b -> b.bucket("many").key("k")).uploadId();
        byte[][] bodies = new byte[parts][];
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<String>> etags = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            int n = i + 1;
            bodies[i] = TestBytes.random(n, 1024 + n);
            byte[] body = bodies[i];
            etags.add(pool.submit(() -> s3.uploadPart(
                            b -> b.bucket("many").key("k").uploadId(id).partNumber(n), RequestBody.fromBytes(body))
                    .eTag()));
        }
        List<CompletedPart> done = new ArrayList<>();
        for (int i = 0; i < parts; i++)
            done.add(CompletedPart.builder()
                    .partNumber(i + 1)
                    .eTag(etags.get(i).get())
                    .build());
        pool.shutdown();

        List<Integer> listed = new ArrayList<>();
        Integer marker = null;
        do {
            Integer m = marker;
            ListPartsResponse r = s3.listParts(
                    b -> b.bucket("many").key("k").uploadId(id).maxParts(400).partNumberMarker(m));
            r.parts().forEach(p -> listed.add(p.partNumber()));
            marker = r.isTruncated() ? r.nextPartNumberMarker() : null;
        } while (marker != null);
        assertEquals(parts, listed.size());

        long t0 = System.nanoTime();
        String etag = s3.completeMultipartUpload(
                        b -> b.bucket("many").key("k").uploadId(id).multipartUpload(u -> u.parts(done)))
                .eTag();
        LogManager.getLogger(ManyPartsTest.class)
                .info("Complete of {} parts took {} ms", parts, (System.nanoTime() - t0) / 1_000_000);
        assertTrue(etag.endsWith("-1000\""), etag);

        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        for (byte[] b : bodies) whole.write(b);
        assertArrayEquals(
                whole.toByteArray(),
                s3.getObjectAsBytes(b -> b.bucket("many").key("k")).asByteArray());
        assertArrayEquals(
                bodies[499],
                s3.getObjectAsBytes(b -> b.bucket("many").key("k").partNumber(500))
                        .asByteArray());
    }
}
