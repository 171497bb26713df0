package io.basalt.compat;

import io.basalt.gateway.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * minio-go v7 (Debian's golang-github-minio-minio-go-v7-dev) the way Milvus uses it: the Go
 * program in src/test/go/milvuslike is built with Debian's Go in GOPATH mode (no module
 * downloads) and run against a real cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MinioGoMilvusLikeTest {

    static final String GO = "/usr/bin/go";
    static final String GOCODE = "/usr/share/gocode";
    static final Path SOURCE = Path.of("src/test/go/milvuslike").toAbsolutePath();
    static final Path TARGET = Path.of("target").toAbsolutePath();

    @TempDir
    static Path tmp;

    TestCluster cluster;
    Path binary;

    @BeforeAll
    void build() throws Exception {
        binary = buildProgram();
        cluster = CompatCluster.start(tmp.resolve("cluster"));
    }

    /** Builds the Go program (GOPATH mode, Debian's packages, no downloads); returns the binary. */
    static synchronized Path buildProgram() throws Exception {
        Subprocess.requireExecutable(GO, "golang-go");
        Subprocess.requirePath(GOCODE + "/src/github.com/minio/minio-go/v7", "golang-github-minio-minio-go-v7-dev");
        Path binary = TARGET.resolve("go-bin/milvuslike");
        Files.createDirectories(binary.getParent());
        Map<String, String> env = new HashMap<>();
        env.put("GO111MODULE", "off");
        env.put("GOPATH", GOCODE + ":" + Files.createDirectories(TARGET.resolve("gopath")));
        env.put("GOCACHE", Files.createDirectories(TARGET.resolve("go-cache")).toString());
        env.put("GOFLAGS", "");
        env.put("CGO_ENABLED", "0");
        ProcessEnv.clear(env, "GOROOT", "GOTOOLCHAIN", "GOPROXY");
        Subprocess.run(List.of(GO, "build", "-o", binary.toString(), "."), env, SOURCE, Duration.ofMinutes(4))
                .assertSuccess();
        return binary;
    }

    @AfterAll
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void milvusLikeWorkload() throws Exception {
        runProgram(binary, cluster, "milvus-bucket", Map.of(), tmp).assertSuccess();
    }

    /**
     * Runs the program against {@code cluster}'s gateway; over HTTPS ({@code -secure}, Milvus's useSSL) when the
     * gateway serves it, with {@code env} added (e.g. the CA it trusts).
     */
    static Subprocess.Result runProgram(
            Path binary, TestCluster cluster, String bucket, Map<String, String> env, Path dir) throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.put("MINIO_ACCESS_KEY", TestCluster.ACCESS_KEY);
        all.put("MINIO_SECRET_KEY", TestCluster.SECRET_KEY);
        List<String> cmd = new java.util.ArrayList<>(
                List.of(binary.toString(), "-endpoint", "127.0.0.1:" + cluster.port(), "-bucket", bucket));
        if (cluster.endpoint().startsWith("https")) cmd.add("-secure");
        return Subprocess.run(cmd, all, dir, Duration.ofMinutes(4));
    }
}
