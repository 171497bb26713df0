package io.basalt.core.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Known-answer test against parity produced by Backblaze's JavaReedSolomon.
 *
 * <p>The vectors are a test resource, {@code erasure-vectors/backblaze-rs.txt} (its header and the
 * README beside it say how they were made), so the test needs nothing outside the repository. A
 * missing file is a failure, not a skip: silently skipping would let an incompatible codec pass CI.
 */
class BackblazeVectorsTest {

    private static final String RESOURCE = "/erasure-vectors/backblaze-rs.txt";

    record Case(int k, int m, int size, byte[][] shards, int line) {
        @Override
        public String toString() {
            return "case " + k + " " + m + " " + size + " (line " + line + ")";
        }
    }

    record VectorFile(String path, List<String> lines, List<Case> cases, int caseLines) {}

    static VectorFile load() throws IOException {
        String path = RESOURCE;
        List<String> lines;
        try (InputStream in = BackblazeVectorsTest.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                fail("Backblaze RS known-answer file " + RESOURCE + " is not on the test classpath");
            }
            lines = new String(in.readAllBytes(), StandardCharsets.US_ASCII)
                    .lines()
                    .toList();
        }
        List<Case> cases = new ArrayList<>();
        int caseLines = 0;
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (!parts[0].equals("case") || parts.length != 4) {
                fail(path + ":" + (i + 1) + ": expected 'case k m size', got: " + abbreviate(line));
            }
            caseLines++;
            int k = Integer.parseInt(parts[1]);
            int m = Integer.parseInt(parts[2]);
            int size = Integer.parseInt(parts[3]);
            int caseLine = i + 1;
            byte[][] shards = new byte[k + m][];
            for (int s = 0; s < k + m; s++) {
                i++;
                if (i >= lines.size()) {
                    fail(path + ": truncated at shard " + s + " of case on line " + caseLine);
                }
                String[] shardParts = lines.get(i).strip().split("\\s+");
                if (shardParts.length != 3 || !shardParts[0].equals("shard") || Integer.parseInt(shardParts[1]) != s) {
                    fail(path + ":" + (i + 1) + ": expected 'shard " + s + " <hex>', got: " + abbreviate(lines.get(i)));
                }
                shards[s] = hex.parseHex(shardParts[2]);
                assertEquals(size, shards[s].length, path + ":" + (i + 1) + ": shard length");
            }
            cases.add(new Case(k, m, size, shards, caseLine));
        }
        return new VectorFile(path, lines, cases, caseLines);
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    static byte inputByte(int i, int j, int k, int m) {
        return (byte) ((i * 31 + j * 7 + k * 3 + m) & 0xFF);
    }

    @Test
    void fileParsesCompletely() throws IOException {
        VectorFile file = load();
        long rawCaseLines =
                file.lines().stream().filter(l -> l.startsWith("case")).count();
        assertTrue(file.cases().size() > 0, "no cases in " + file.path());
        assertEquals(rawCaseLines, file.cases().size(), "cases parsed vs 'case' lines");
        assertEquals(file.caseLines(), file.cases().size());
    }

    @TestFactory
    Stream<DynamicTest> parityMatchesBackblaze() throws IOException {
        VectorFile file = load();
        return file.cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private static void check(Case c) {
        int k = c.k();
        int m = c.m();
        byte[][] shards = new byte[k + m][c.size()];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < c.size(); j++) {
                shards[i][j] = inputByte(i, j, k, m);
            }
            assertArrayEquals(shards[i], c.shards()[i], c + ": data shard " + i + " differs from formula");
        }
        // the codec as every JVM here runs it (vector kernel: surefire adds jdk.incubator.vector) and the scalar one
        for (ReedSolomon rs : List.of(ReedSolomon.create(k, m), ReedSolomon.create(k, m, ScalarKernel.INSTANCE))) {
            byte[][] coded = new byte[k + m][];
            for (int i = 0; i < k + m; i++) {
                coded[i] = shards[i].clone();
            }
            rs.encode(coded, 0, c.size());
            for (int p = k; p < k + m; p++) {
                assertArrayEquals(
                        c.shards()[p],
                        coded[p],
                        c + ": parity shard " + p + ", " + rs.kernel().name());
            }
            assertTrue(
                    rs.verify(c.shards(), 0, c.size()),
                    c + ": verify, " + rs.kernel().name());
        }
    }
}
