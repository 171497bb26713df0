package io.basalt.compat;

import io.basalt.gateway.TestCluster;
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

/** Debian's boto3 (python3-boto3, run by /usr/bin/python3) running src/test/python/boto3_compat.py. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class Boto3Test {

    static final String PYTHON = "/usr/bin/python3";
    static final Path SCRIPT = Path.of("src/test/python/boto3_compat.py").toAbsolutePath();

    @TempDir
    static Path tmp;

    static final int LIFECYCLE_DAY_SECONDS = 2;

    TestCluster cluster;

    @BeforeAll
    void start() throws Exception {
        Subprocess.requireExecutable(PYTHON, "python3");
        Subprocess.requirePath("/usr/lib/python3/dist-packages/boto3", "python3-boto3");
        cluster = CompatCluster.start(tmp.resolve("cluster"));
        // lifecycle rules run in the coordinator; a "day" of two seconds lets the script see them act
        cluster.startCoordinator(Duration.ofSeconds(LIFECYCLE_DAY_SECONDS));
    }

    @AfterAll
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void boto3Script() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_ACCESS_KEY_ID", TestCluster.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", TestCluster.SECRET_KEY);
        env.put("AWS_DEFAULT_REGION", TestCluster.REGION);
        env.put("AWS_CONFIG_FILE", tmp.resolve("no-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-credentials").toString());
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("BASALT_LIFECYCLE_DAY_SECONDS", Integer.toString(LIFECYCLE_DAY_SECONDS));
        ProcessEnv.clear(env, "PYTHONPATH", "PYTHONHOME");
        Subprocess.run(
                        List.of(PYTHON, SCRIPT.toString(), cluster.endpoint(), tmp.toString()),
                        env,
                        tmp,
                        Duration.ofMinutes(4))
                .assertSuccess();
    }
}
