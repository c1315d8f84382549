package dev.hybridrelay.it.support;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM running a main class from this module's test class path (same class path as the test
 * JVM). Its stdout lines are collected; {@link #awaitLine} waits for a line with a prefix.
 * {@link #kill()} is {@code kill -9}; {@link #terminate()} is SIGTERM.
 */
public final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> all = new java.util.concurrent.CopyOnWriteArrayList<>();

  private ChildJvm(Process process) {
    this.process = process;
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          lines.add(l);
          all.add(l);
        }
      } catch (IOException e) {
        // process gone
      }
    }, "test-child-stdout");
    t.setDaemon(true);
    t.start();
  }

  /** Starts {@code mainClass} with {@code args}; stderr goes to {@code target/<log>}. */
  public static ChildJvm start(Class<?> mainClass, String log, String... args) throws IOException {
    return start(mainClass, log, List.of("-Xmx256m"), args);
  }

  /** Like {@link #start(Class, String, String...)} with explicit JVM options (heap size etc.). */
  public static ChildJvm start(Class<?> mainClass, String log, List<String> jvmOptions,
      String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(new File("target", log)));
    return new ChildJvm(pb.start());
  }

  /** Waits for a stdout line starting with {@code prefix}; returns the rest of the line. */
  public String awaitLine(String prefix, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      String l = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      if (l == null) {
        throw new AssertionError("child did not print '" + prefix + "' within " + timeout
            + "; alive=" + process.isAlive() + " output=" + all);
      }
      if (l.startsWith(prefix)) {
        return l.substring(prefix.length()).trim();
      }
    }
  }

  /** The process. */
  public Process process() {
    return process;
  }

  /** A field of {@code /proc/<pid>/status} in KiB (e.g. {@code VmHWM}, {@code VmRSS}); -1 if unknown. */
  public long procStatusKb(String field) {
    try {
      for (String l : java.nio.file.Files.readAllLines(
          Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (l.startsWith(field + ":")) {
          return Long.parseLong(l.substring(field.length() + 1).replace("kB", "").trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or gone
    }
    return -1;
  }

  /** Open file descriptors of the child ({@code /proc/<pid>/fd}); -1 if unknown. */
  public int fdCount() {
    String[] fds = new File("/proc/" + process.pid() + "/fd").list();
    return fds == null ? -1 : fds.length;
  }

  /** Every stdout line so far. */
  public List<String> output() {
    return List.copyOf(all);
  }

  /** kill -9. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM (does not wait). */
  public void terminate() {
    process.destroy();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
