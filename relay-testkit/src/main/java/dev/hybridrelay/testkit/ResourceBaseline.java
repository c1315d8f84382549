package dev.hybridrelay.testkit;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A snapshot of process resources — live threads (optionally only those whose name starts with a
 * prefix such as {@code hybridrelay-}), open file descriptors ({@code /proc/self/fd}, Linux) and
 * heap used after a GC — to check that a test gave everything back.
 *
 * <pre>{@code
 * ResourceBaseline base = ResourceBaseline.capture();
 * ... run the scenario, close everything ...
 * base.assertBackToBaseline(5, Duration.ofSeconds(10));
 * }</pre>
 */
public final class ResourceBaseline {

  /** Prefix of the library's own thread names. */
  public static final String LIBRARY_THREAD_PREFIX = "hybridrelay-";

  private final String threadPrefix;
  private final Map<Long, String> threads;
  private final int fds;
  private final Map<Integer, String> fdTargets;
  private final long heapAfterGc;

  private ResourceBaseline(String threadPrefix, boolean gc) {
    this.threadPrefix = threadPrefix;
    this.threads = threads(threadPrefix);
    this.fdTargets = fdTargets();
    this.fds = fdTargets.isEmpty() ? -1 : fdTargets.size();
    this.heapAfterGc = gc ? heapAfterGc() : heapUsed();
  }

  /** Captures every live thread, FDs and heap after GC. */
  public static ResourceBaseline capture() {
    return new ResourceBaseline("", true);
  }

  /** Captures the live threads whose names start with {@code threadPrefix}, FDs and heap. */
  public static ResourceBaseline capture(String threadPrefix) {
    return new ResourceBaseline(threadPrefix == null ? "" : threadPrefix, true);
  }

  /** Number of captured threads. */
  public int threadCount() {
    return threads.size();
  }

  /** Names of the captured threads, sorted. */
  public List<String> threadNames() {
    return new ArrayList<>(new TreeSet<>(threads.values()));
  }

  /** Number of open file descriptors, or -1 where {@code /proc/self/fd} does not exist. */
  public int fdCount() {
    return fds;
  }

  /** Heap used right after {@link System#gc()} at capture time, in bytes. */
  public long heapAfterGcBytes() {
    return heapAfterGc;
  }

  /** Current number of live threads matching this baseline's prefix. */
  public int currentThreadCount() {
    return threads(threadPrefix).size();
  }

  /** Current number of open file descriptors (-1 if unknown). */
  public static int currentFdCount() {
    File[] f = new File("/proc/self/fd").listFiles();
    return f == null ? -1 : f.length;
  }

  /** Heap used after a {@link System#gc()} now, in bytes. */
  public static long heapAfterGc() {
    MemoryMXBean m = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 2; i++) {
      System.gc();
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return m.getHeapMemoryUsage().getUsed();
  }

  /** Heap used now (no GC), in bytes. */
  public static long heapUsed() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Heap after GC now minus heap after GC at capture time, in bytes (may be negative). */
  public long heapGrowthBytes() {
    return heapAfterGc() - heapAfterGc;
  }

  /**
   * Waits up to {@code timeout} until the thread count (with this baseline's prefix) and the FD
   * count are each at most baseline + {@code tolerance}.
   *
   * @throws AssertionError listing the threads and descriptors that appeared since the capture
   */
  public void assertBackToBaseline(int tolerance, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Map<Long, String> nowThreads = threads(threadPrefix);
      int nowFds = currentFdCount();
      boolean threadsOk = nowThreads.size() <= threads.size() + tolerance;
      boolean fdsOk = fds < 0 || nowFds <= fds + tolerance;
      if (threadsOk && fdsOk) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(describe(nowThreads, tolerance));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for resources to be released");
      }
    }
  }

  /** A report of what is different now compared with the baseline. */
  public String diff() {
    return describe(threads(threadPrefix), 0);
  }

  private String describe(Map<Long, String> nowThreads, int tolerance) {
    StringBuilder sb = new StringBuilder();
    sb.append("resources not back to baseline (tolerance ").append(tolerance).append("): threads")
        .append(threadPrefix.isEmpty() ? "" : " '" + threadPrefix + "*'").append(' ')
        .append(threads.size()).append(" -> ").append(nowThreads.size()).append(", fds ")
        .append(fds).append(" -> ").append(currentFdCount());
    List<String> leaked = new ArrayList<>();
    for (Map.Entry<Long, String> e : nowThreads.entrySet()) {
      if (!threads.containsKey(e.getKey())) {
        leaked.add(e.getValue());
      }
    }
    leaked.sort(null);
    sb.append("\n  new threads (").append(leaked.size()).append("): ").append(leaked);
    Map<Integer, String> nowFds = fdTargets();
    List<String> newFds = new ArrayList<>();
    for (Map.Entry<Integer, String> e : nowFds.entrySet()) {
      String before = fdTargets.get(e.getKey());
      if (before == null || !before.equals(e.getValue())) {
        newFds.add(e.getKey() + "->" + e.getValue());
      }
    }
    sb.append("\n  new fds (").append(newFds.size()).append("): ")
        .append(newFds.size() > 50 ? newFds.subList(0, 50) + " …" : newFds);
    return sb.toString();
  }

  @Override
  public String toString() {
    return "ResourceBaseline[threads=" + threads.size() + ", fds=" + fds + ", heapAfterGc="
        + (heapAfterGc >> 20) + " MiB]";
  }

  private static Map<Long, String> threads(String prefix) {
    Map<Long, String> m = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith(prefix)) {
        m.put(t.getId(), t.getName());
      }
    }
    return m;
  }

  private static Map<Integer, String> fdTargets() {
    Map<Integer, String> m = new TreeMap<>();
    Path dir = Path.of("/proc/self/fd");
    File[] files = dir.toFile().listFiles();
    if (files == null) {
      return m;
    }
    for (File f : files) {
      try {
        int fd = Integer.parseInt(f.getName());
        String target;
        try {
          target = Files.readSymbolicLink(f.toPath()).toString();
        } catch (IOException | UnsupportedOperationException e) {
          target = "?";
        }
        m.put(fd, target);
      } catch (NumberFormatException e) {
        // not a descriptor
      }
    }
    return m;
  }
}
