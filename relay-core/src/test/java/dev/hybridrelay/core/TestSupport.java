package dev.hybridrelay.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/** Helpers shared by the integration tests. */
final class TestSupport {
  private TestSupport() {}

  /** Result of streaming: byte count and SHA-256. */
  record Digest(long bytes, String sha256) {}

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Writes {@code size} seeded random bytes in random-sized writes; returns their digest. */
  static Digest writeRandom(OutputStream out, long size, long seed) throws IOException {
    Random random = new Random(seed);
    MessageDigest md = sha256();
    byte[] buf = new byte[256 * 1024];
    long left = size;
    while (left > 0) {
      int n = (int) Math.min(left, 1 + random.nextInt(buf.length));
      random.nextBytes(buf);
      out.write(buf, 0, n);
      md.update(buf, 0, n);
      left -= n;
    }
    return new Digest(size, HexFormat.of().formatHex(md.digest()));
  }

  /** Reads to end of stream with random read sizes; returns the digest. */
  static Digest readAll(InputStream in, long seed) throws IOException {
    Random random = new Random(seed);
    MessageDigest md = sha256();
    byte[] buf = new byte[128 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buf, 0, 1 + random.nextInt(buf.length))) >= 0) {
      md.update(buf, 0, n);
      total += n;
    }
    return new Digest(total, HexFormat.of().formatHex(md.digest()));
  }

  /** Names of live threads that this library started (the local relay's own threads excluded). */
  static List<String> libraryThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("hybridrelay-") && !n.startsWith("hybridrelay-server")
            || n.startsWith("WebSocket"))
        .sorted()
        .collect(Collectors.toList());
  }

  static int liveThreadCount() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  /** Live threads other than the local relay's, the common pool's and the test tooling's. */
  static java.util.Set<Thread> nonRelayThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(t -> !t.getName().startsWith("hybridrelay-server")
            && !t.getName().startsWith("ForkJoinPool")
            && !t.getName().startsWith("awaitility"))
        .collect(Collectors.toSet());
  }

  static long usedHeapAfterGc() {
    Runtime rt = Runtime.getRuntime();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      best = Math.min(best, rt.totalMemory() - rt.freeMemory());
    }
    return best;
  }

  static byte[] bytes(int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) 'x');
    return b;
  }
}
