package io.basalt.bench;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/** One S3 endpoint under test: its client, and what we know about its processes and disks. */
final class Target implements AutoCloseable {
    final String name;
    final URI endpoint;
    final String bucket;
    final S3Client s3;
    /**
     * For empty bodies: Ceph RGW 16.2 refuses an aws-chunked body of length 0 (400, op status -2040), which is
     * how the SDK sends an empty PUT over plain HTTP.
     */
    final S3Client s3WholeBody;

    final RetryCounter retries = new RetryCounter();
    /** role (gateway, storage-nodes, s3proxy, ...) -> pids whose CPU time is measured; empty when remote. */
    final Map<String, List<Long>> pids = new LinkedHashMap<>();
    /** directories holding this target's stored bytes (for the footprint), when local. */
    final List<Path> dataDirs = new ArrayList<>();
    /**
     * The {@code ./basalt dev} launcher the bench itself started for this target (--compare), else null: only
     * processes under it may be signalled (the faults workload's SIGSTOP).
     */
    ProcessHandle launcher;
    /** That launcher's coordinator's metrics, for {@link GcDrain}; else null. */
    URI coordinatorMetrics;
    /** what the target promises about durability, for the report. */
    String promise = "unknown (remote endpoint)";

    Target(String name, URI endpoint, String accessKey, String secretKey, String bucket, int maxConnections) {
        this.name = name;
        this.endpoint = endpoint;
        this.bucket = bucket;
        this.s3 = client(endpoint, accessKey, secretKey, maxConnections, true);
        this.s3WholeBody = client(endpoint, accessKey, secretKey, maxConnections, false);
    }

    /**
     * With {@code chunked}, the SDK's default over plain HTTP: the body is signed chunk by chunk as it is sent
     * (aws-chunked). Without, it is hashed first and signed whole.
     */
    private S3Client client(URI endpoint, String accessKey, String secretKey, int maxConnections, boolean chunked) {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(ApacheHttpClient.builder()
                        .maxConnections(maxConnections)
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(120)))
                .serviceConfiguration(S3Configuration.builder()
                        .chunkedEncodingEnabled(chunked)
                        .build())
                .overrideConfiguration(c -> c.addExecutionInterceptor(retries).apiCallTimeout(Duration.ofMinutes(10)))
                .build();
    }

    @Override
    public void close() {
        s3.close();
        s3WholeBody.close();
    }

    /** Counts SDK attempts against executions: the difference is the number of client retries. */
    static final class RetryCounter implements ExecutionInterceptor {
        final AtomicLong executions = new AtomicLong();
        final AtomicLong attempts = new AtomicLong();

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attrs) {
            executions.incrementAndGet();
        }

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attrs) {
            attempts.incrementAndGet();
        }

        long retries() {
            return attempts.get() - executions.get();
        }
    }
}
