package io.basalt.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.gateway.TestCluster;
import io.basalt.gateway.s3.HttpDates;
import io.basalt.testkit.TestBytes;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.Time;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.utils.DateUtils;

/**
 * HTTP dates against the strictest clients Basalt serves: minio-java parses {@code Last-Modified}
 * with a two-digit-day pattern and fails on anything else, so a gateway that writes {@code Wed, 2 Dec}
 * breaks it on the 1st to the 9th of every month.
 *
 * <p>The build runs this class twice (see this module's pom): once at the real date, and once with
 * the whole JVM (clients and gateway) on a faked clock set to a single-digit day through libfaketime,
 * with {@code basalt.test.today} naming that day so the run fails if the clock was not faked.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HttpDatesCompatTest {

    private static final Pattern IMF_FIXDATE =
            Pattern.compile("[A-Z][a-z]{2}, \\d\\d [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d GMT");

    @TempDir
    static Path tmp;

    TestCluster cluster;
    MinioClient minio;
    S3Client s3;

    @BeforeAll
    void start() throws Exception {
        cluster = CompatCluster.start(tmp.resolve("cluster"));
        minio = MinioClient.builder()
                .endpoint(cluster.endpoint())
                .credentials(TestCluster.ACCESS_KEY, TestCluster.SECRET_KEY)
                .region(TestCluster.REGION)
                .build();
        s3 = S3Client.builder()
                .endpointOverride(URI.create(cluster.endpoint()))
                .region(Region.US_EAST_1)
                .credentialsProvider(AwsSdkJavaV2Test.credentials())
                .forcePathStyle(true)
                .build();
        minio.makeBucket(MakeBucketArgs.builder().bucket("dates").build());
    }

    @AfterAll
    void stop() throws Exception {
        if (minio != null) minio.close();
        if (s3 != null) s3.close();
        if (cluster != null) cluster.close();
    }

    /** Every day of two years, a leap day among them, in both directions. */
    @Test
    void clientsAndGatewayAgreeOnEveryDay() {
        for (LocalDate day = LocalDate.of(2027, 1, 1); day.isBefore(LocalDate.of(2029, 1, 1)); day = day.plusDays(1)) {
            Instant when = day.atTime(5, 17, 32).toInstant(ZoneOffset.UTC);
            String ours = HttpDates.format(when);
            assertEquals(
                    when,
                    ZonedDateTime.parse(ours, Time.HTTP_HEADER_DATE_FORMAT).toInstant(),
                    "minio-java reads " + ours);
            assertEquals(when, DateUtils.parseRfc1123Date(ours), "AWS SDK reads " + ours);
            // and what each client writes (the AWS SDK writes a one-digit day) reads back here
            assertEquals(when, HttpDates.parse(Time.HTTP_HEADER_DATE_FORMAT.format(when.atZone(ZoneOffset.UTC))), ours);
            assertEquals(when, HttpDates.parse(DateUtils.formatRfc1123Date(when)), DateUtils.formatRfc1123Date(when));
        }
    }

    /** Today's dates as the gateway writes them, parsed by both clients. */
    @Test
    void todaysDatesReachStrictClients() throws Exception {
        String today = System.getProperty("basalt.test.today");
        if (today != null && !today.isBlank()) {
            // the faked-clock run: prove the clock really is on the day it names
            assertEquals(LocalDate.parse(today), LocalDate.now(ZoneOffset.UTC), "libfaketime is not in effect");
        }
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        byte[] data = TestBytes.random(7, 4096);
        minio.putObject(PutObjectArgs.builder().bucket("dates").object("today").stream(
                        new ByteArrayInputStream(data), data.length, -1)
                .build());

        StatObjectResponse st = minio.statObject(
                StatObjectArgs.builder().bucket("dates").object("today").build());
        Instant modified = st.lastModified().toInstant();
        assertTrue(
                !modified.isBefore(before) && !modified.isAfter(Instant.now()), "minio-java Last-Modified " + modified);

        HeadObjectResponse head = s3.headObject(b -> b.bucket("dates").key("today"));
        assertEquals(modified, head.lastModified(), "AWS SDK Last-Modified");
        for (String name : new String[] {"Last-Modified", "Date"}) {
            String raw = head.sdkHttpResponse().firstMatchingHeader(name).orElseThrow();
            assertTrue(IMF_FIXDATE.matcher(raw).matches(), name + ": " + raw);
            Instant parsed =
                    ZonedDateTime.parse(raw, Time.HTTP_HEADER_DATE_FORMAT).toInstant();
            assertTrue(!parsed.isBefore(before) && !parsed.isAfter(Instant.now()), name + ": " + raw);
        }
        s3.putObject(b -> b.bucket("dates").key("today-sdk"), RequestBody.fromBytes(data));
        assertEquals(
                data.length,
                s3.headObject(b -> b.bucket("dates").key("today-sdk")).contentLength());
    }
}
