package io.basalt.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.gateway.TestCluster;
import io.basalt.testkit.Digests;
import io.basalt.testkit.TestBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Debian's aws CLI v2 (/usr/bin/aws, not a v1 from PATH) against a real cluster, path-style. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AwsCliTest {

    static final String AWS = "/usr/bin/aws";

    @TempDir
    static Path tmp;

    TestCluster cluster;
    Map<String, String> env;

    @BeforeAll
    void start() throws Exception {
        Subprocess.requireExecutable(AWS, "awscli");
        cluster = CompatCluster.start(tmp.resolve("cluster"));
        env = env(tmp);
    }

    /** The CLI's environment: the cluster's credentials, path-style, one attempt, nothing from the user's files. */
    static Map<String, String> env(Path tmp) throws java.io.IOException {
        Path config = Files.writeString(
                tmp.resolve("aws-config"), "[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n");
        Map<String, String> env = new HashMap<>();
        env.put("AWS_ACCESS_KEY_ID", TestCluster.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", TestCluster.SECRET_KEY);
        env.put("AWS_DEFAULT_REGION", TestCluster.REGION);
        env.put("AWS_CONFIG_FILE", config.toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-credentials").toString());
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_PAGER", "");
        env.put("AWS_MAX_ATTEMPTS", "1");
        // Debian's python runs /usr/bin/aws: keep a pyenv's settings away from it
        ProcessEnv.clear(env, "PYTHONPATH", "PYTHONHOME");
        return env;
    }

    @AfterAll
    void stop() {
        if (cluster != null) cluster.close();
    }

    Subprocess.Result aws(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(AWS, "--endpoint-url", cluster.endpoint()));
        cmd.addAll(Arrays.asList(args));
        return Subprocess.run(cmd, env, tmp, Duration.ofMinutes(3));
    }

    @Test
    @Order(1)
    void makeBucket() throws Exception {
        aws("s3", "mb", "s3://cli-bucket").assertSuccess();
        aws("s3api", "head-bucket", "--bucket", "cli-bucket").assertSuccess();
    }

    @Test
    @Order(2)
    void copyUpAndDownMultipart() throws Exception {
        Path src = TestBytes.randomFile(tmp.resolve("cli-big.bin"), 20, 20L << 20);
        Path back = tmp.resolve("cli-big.back");
        aws("s3", "cp", src.toString(), "s3://cli-bucket/dir/big.bin").assertSuccess();
        aws("s3", "cp", "s3://cli-bucket/dir/big.bin", back.toString()).assertSuccess();
        assertEquals(Digests.sha256Hex(src), Digests.sha256Hex(back), "SHA-256 of the file copied down");

        // the CLI's defaults: 8 MiB threshold and parts, so 20 MiB goes up in 3 parts
        byte[] data = Files.readAllBytes(src);
        String head = aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "dir/big.bin")
                .assertSuccess()
                .output();
        assertTrue(head.contains("\"ContentLength\": " + data.length), head);
        String etag = Digests.multipartEtag(data, 8 << 20);
        assertTrue(head.contains("\\\"" + etag + "\\\""), "head-object ETag should be " + etag + ":\n" + head);
    }

    @Test
    @Order(3)
    void smallCopyAndRangedGet() throws Exception {
        byte[] data = TestBytes.random(21, 70_000);
        Path src = Files.write(tmp.resolve("cli-small.bin"), data);
        aws("s3", "cp", src.toString(), "s3://cli-bucket/dir/small.bin").assertSuccess();
        String head = aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "dir/small.bin")
                .assertSuccess()
                .output();
        assertTrue(head.contains("\\\"" + Digests.md5Hex(data) + "\\\""), "head-object ETag:\n" + head);
        assertTrue(head.contains("\"ContentLength\": 70000"), head);

        Path part = tmp.resolve("cli-range.bin");
        String out = aws(
                        "s3api",
                        "get-object",
                        "--bucket",
                        "cli-bucket",
                        "--key",
                        "dir/small.bin",
                        "--range",
                        "bytes=1000-1999",
                        part.toString())
                .assertSuccess()
                .output();
        assertTrue(out.contains("\"ContentRange\": \"bytes 1000-1999/70000\""), out);
        assertArrayEquals(Arrays.copyOfRange(data, 1000, 2000), Files.readAllBytes(part), "ranged get-object bytes");

        Path suffix = tmp.resolve("cli-suffix.bin");
        aws(
                        "s3api",
                        "get-object",
                        "--bucket",
                        "cli-bucket",
                        "--key",
                        "dir/small.bin",
                        "--range",
                        "bytes=-123",
                        suffix.toString())
                .assertSuccess();
        assertArrayEquals(
                Arrays.copyOfRange(data, data.length - 123, data.length),
                Files.readAllBytes(suffix),
                "suffix-ranged get-object bytes");
    }

    @Test
    @Order(4)
    void list() throws Exception {
        String top = aws("s3", "ls", "s3://cli-bucket/").assertSuccess().output();
        assertTrue(top.contains("PRE dir/"), top);
        String dir = aws("s3", "ls", "s3://cli-bucket/dir/").assertSuccess().output();
        assertTrue(dir.contains(" 20971520 big.bin"), dir);
        assertTrue(dir.contains(" 70000 small.bin"), dir);
        String rec = aws("s3", "ls", "--recursive", "s3://cli-bucket")
                .assertSuccess()
                .output();
        assertTrue(rec.contains("dir/big.bin") && rec.contains("dir/small.bin"), rec);
        String buckets = aws("s3", "ls").assertSuccess().output();
        assertTrue(buckets.contains("cli-bucket"), buckets);
    }

    @Test
    @Order(5)
    void remove() throws Exception {
        aws("s3", "rm", "s3://cli-bucket/dir/big.bin").assertSuccess();
        aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "dir/big.bin")
                .assertFailureContaining("404");
        aws(
                        "s3api",
                        "get-object",
                        "--bucket",
                        "cli-bucket",
                        "--key",
                        "dir/big.bin",
                        tmp.resolve("x").toString())
                .assertFailureContaining("NoSuchKey");
        aws("s3", "rm", "--recursive", "s3://cli-bucket/dir/").assertSuccess();
        String left = aws("s3", "ls", "--recursive", "s3://cli-bucket").output();
        assertEquals("", left.strip(), "objects left after rm --recursive");
        aws("s3", "rb", "s3://cli-bucket").assertSuccess();
    }
}
