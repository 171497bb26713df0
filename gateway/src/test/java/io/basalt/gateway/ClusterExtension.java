package io.basalt.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One {@link TestCluster} (6 storage nodes, 4+2) per test class, with an SDK client and a bucket:
 * {@code @RegisterExtension static final ClusterExtension env = new ClusterExtension("bucket");}
 */
final class ClusterExtension implements BeforeAllCallback, AfterAllCallback {

    private final String bucket;
    private Path dir;
    private TestCluster cluster;
    private S3Client s3;

    ClusterExtension(String bucket) {
        this.bucket = bucket;
    }

    TestCluster cluster() {
        return cluster;
    }

    S3Client s3() {
        return s3;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory(
                "basalt-" + context.getRequiredTestClass().getSimpleName());
        cluster = new TestCluster(dir, 6, 4, 2);
        s3 = cluster.client();
        s3.createBucket(b -> b.bucket(bucket));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
