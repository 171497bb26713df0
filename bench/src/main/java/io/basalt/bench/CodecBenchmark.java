package io.basalt.bench;

import io.basalt.core.erasure.ReedSolomon;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: Basalt's Reed-Solomon codec on 1 MiB stripes (1 MiB of data split over k shards), on its vector kernel
 * (jdk.incubator.vector, which every fork gets, as every service's JVM does) and on its scalar one.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class CodecBenchmark {
    public static final int STRIPE = 1 << 20;

    @Param({"4+2", "8+3", "8+4", "12+4"})
    public String shape;

    /**
     * The kernel, chosen once per JVM from -Dbasalt.codec when the codec is first used: set here, before that
     * happens in this fork (JMH forks a fresh JVM per parameter combination), and checked.
     */
    @Param({"vector", "scalar"})
    public String codec;

    private ReedSolomon rs;
    private byte[][] shards;
    private boolean[] present;
    private int chunk;

    @Setup
    public void setup() {
        System.setProperty("basalt.codec", codec.equals("scalar") ? "scalar" : "auto");
        if (!ReedSolomon.kernelName().equals(codec)) {
            throw new IllegalStateException("asked for the " + codec + " kernel, runs " + ReedSolomon.kernelName()
                    + " (run each parameter combination in its own fork, with jdk.incubator.vector)");
        }
        String[] km = shape.split("\\+");
        int k = Integer.parseInt(km[0]);
        int m = Integer.parseInt(km[1]);
        rs = ReedSolomon.create(k, m);
        chunk = STRIPE / k;
        shards = new byte[k + m][chunk];
        Random r = new Random(1);
        for (int i = 0; i < k; i++) r.nextBytes(shards[i]);
        rs.encode(shards, 0, chunk);
        present = new boolean[k + m];
        java.util.Arrays.fill(present, true);
        for (int i = 0; i < m; i++) present[i] = false; // lose m data shards: the worst rebuild
    }

    /** bytes of data per operation: the throughput in GB/s is ops/s times this. */
    public static long bytesPerOp(String shape) {
        int k = Integer.parseInt(shape.split("\\+")[0]);
        return (long) (STRIPE / k) * k;
    }

    @Benchmark
    public byte[][] encode() {
        rs.encode(shards, 0, chunk);
        return shards;
    }

    @Benchmark
    public byte[][] decode() {
        rs.reconstruct(shards, present, 0, chunk);
        return shards;
    }
}
