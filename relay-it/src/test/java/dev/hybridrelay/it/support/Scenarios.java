package dev.hybridrelay.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Records one figure line per scenario run, e.g.
 * {@code SCENARIO L1 PASS connections=1000 bytes=… p99_connect_ms=…}, on stdout and appended to
 * {@code target/scenario-results.txt} (relative to the module directory).
 */
public final class Scenarios {
  /** Where the result lines go. */
  public static final Path RESULTS = Path.of("target", "scenario-results.txt");

  private Scenarios() {
  }

  /** Records a passing run. */
  public static void pass(String id, String figures) {
    record(id, "PASS", figures);
  }

  /** Records a failing run (call before failing the test so the figures survive). */
  public static void fail(String id, String figures) {
    record(id, "FAIL", figures);
  }

  /** Records a result line. */
  public static synchronized void record(String id, String verdict, String figures) {
    String line = "SCENARIO " + id + " " + verdict + " " + figures;
    System.out.println(line);
    try {
      Files.createDirectories(RESULTS.getParent());
      Files.writeString(RESULTS, line + System.lineSeparator(), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.err.println("cannot append to " + RESULTS + ": " + e);
    }
  }

  /** The p-th percentile (0..100) of {@code values} (sorted in place). */
  public static long percentile(long[] values, double p) {
    if (values.length == 0) {
      return 0;
    }
    java.util.Arrays.sort(values);
    int i = (int) Math.ceil(p / 100.0 * values.length) - 1;
    return values[Math.max(0, Math.min(values.length - 1, i))];
  }
}
