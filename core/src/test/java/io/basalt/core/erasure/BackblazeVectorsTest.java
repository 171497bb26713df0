package io.basalt.core.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Known-answer test against parity produced by Backblaze's JavaReedSolomon.
 *
 * <p>The vector file lives outside the repository, at {@code <repo root>/../shared/erasure-vectors/
 * backblaze-rs.txt}. {@code BASALT_SHARED_DIR} (system property or environment variable) overrides
 * the location of that {@code shared} directory. A missing file is a failure, not a skip: silently
 * skipping would let an incompatible codec pass CI.
 */
class BackblazeVectorsTest {

  private static final String RELATIVE = "erasure-vectors/backblaze-rs.txt";

  record Case(int k, int m, int size, byte[][] shards, int line) {
    @Override
    public String toString() {
      return "case " + k + " " + m + " " + size + " (line " + line + ")";
    }
  }

  record VectorFile(Path path, List<Case> cases, int caseLines) {}

  static Set<Path> candidatePaths() {
    Set<Path> candidates = new LinkedHashSet<>();
    String override = System.getProperty("BASALT_SHARED_DIR");
    if (override == null || override.isBlank()) {
      override = System.getenv("BASALT_SHARED_DIR");
    }
    if (override != null && !override.isBlank()) {
      candidates.add(Path.of(override).resolve(RELATIVE).toAbsolutePath().normalize());
    }
    Path cwd = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    // surefire runs in the module dir (core/); also cover running from the repository root.
    candidates.add(cwd.resolve("../../shared").resolve(RELATIVE).normalize());
    candidates.add(cwd.resolve("../shared").resolve(RELATIVE).normalize());
    return candidates;
  }

  static VectorFile load() throws IOException {
    Set<Path> candidates = candidatePaths();
    Path path = candidates.stream().filter(Files::isRegularFile).findFirst().orElse(null);
    if (path == null) {
      fail("Backblaze RS known-answer file not found; looked at " + candidates
          + " (set BASALT_SHARED_DIR to the directory containing " + RELATIVE + ")");
    }
    List<String> lines = Files.readAllLines(path, StandardCharsets.US_ASCII);
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
        if (shardParts.length != 3 || !shardParts[0].equals("shard")
            || Integer.parseInt(shardParts[1]) != s) {
          fail(path + ":" + (i + 1) + ": expected 'shard " + s + " <hex>', got: "
              + abbreviate(lines.get(i)));
        }
        shards[s] = hex.parseHex(shardParts[2]);
        assertEquals(size, shards[s].length, path + ":" + (i + 1) + ": shard length");
      }
      cases.add(new Case(k, m, size, shards, caseLine));
    }
    return new VectorFile(path, cases, caseLines);
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
        Files.readAllLines(file.path(), StandardCharsets.US_ASCII).stream()
            .filter(l -> l.startsWith("case"))
            .count();
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
    ReedSolomon rs = ReedSolomon.create(k, m);
    rs.encode(shards, 0, c.size());
    for (int p = k; p < k + m; p++) {
      assertArrayEquals(c.shards()[p], shards[p], c + ": parity shard " + p);
    }
    assertTrue(rs.verify(c.shards(), 0, c.size()), c + ": verify");
  }
}
