package dev.hybridrelay.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar relay-cli/target/hybridrelay.jar ARGS} as a child process, the way users run it.
 * Standard output and error are appended to {@code <dir>/<name>.log} (a restarted process appends to
 * the same file); {@link #awaitLog} waits for a text written since this start. {@link #kill()} is
 * {@code kill -9}.
 */
public final class CliChild implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final long offset;
  private final List<String> args;
  private final Path dir;
  private final String name;

  private CliChild(Process process, Path dir, String name, Path log, long offset, List<String> args) {
    this.process = process;
    this.dir = dir;
    this.name = name;
    this.log = log;
    this.offset = offset;
    this.args = args;
  }

  /**
   * The command-line tool's jar. The build makes it in relay-cli's package phase, before this module's
   * tests (relay-it depends on relay-cli for that order only).
   */
  public static Path jar() {
    Path p = Path.of("..", "relay-cli", "target", "hybridrelay.jar").toAbsolutePath().normalize();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("no " + p + ": build it first (mvn -pl relay-it -am verify packages relay-cli "
          + "before these tests run)");
    }
    return p;
  }

  /** Starts {@code hybridrelay args}, appending its output to {@code dir/name.log}. */
  public static CliChild start(Path dir, String name, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx192m", "-Xss512k", "-XX:+UseSerialGC",
        "-XX:-UsePerfData", "-jar", jar().toString()));
    cmd.addAll(args);
    Files.createDirectories(dir);
    Path log = dir.resolve(name + ".log");
    long offset = Files.exists(log) ? Files.size(log) : 0;
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    for (String v : List.of("HYBRIDRELAY_CONNECTION_STRING", "AZURE_BRIDGE_CONNECTIONSTRING", "http_proxy",
        "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY")) {
      pb.environment().remove(v);
    }
    return new CliChild(pb.start(), dir, name, log, offset, List.copyOf(args));
  }

  /** The same command again (after {@link #kill()}), logging to the same file. */
  public CliChild restart() throws IOException {
    return start(dir, name, args);
  }

  /** What the process wrote since it started. */
  public String output() {
    try {
      byte[] all = Files.readAllBytes(log);
      return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /**
   * How often {@code text} (within one line) occurs in the complete lines of output since the start.
   * Reads only what was written since the last call for the same text: the forwarders' logs grow by
   * megabytes under load, and the scenarios poll.
   */
  public synchronized int count(String text) {
    long[] st = counted.computeIfAbsent(text, t -> new long[] {offset, 0});
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(log)) {
      long size = ch.size();
      if (size > st[0]) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) Math.min(size - st[0], 64L << 20));
        ch.read(b, st[0]);
        int end = b.position();
        byte[] a = b.array();
        int lastNl = -1;
        for (int i = end - 1; i >= 0; i--) {
          if (a[i] == '\n') {
            lastNl = i;
            break;
          }
        }
        if (lastNl >= 0) {
          String chunk = new String(a, 0, lastNl + 1, StandardCharsets.UTF_8);
          for (int i = chunk.indexOf(text); i >= 0; i = chunk.indexOf(text, i + text.length())) {
            st[1]++;
          }
          st[0] += lastNl + 1;
        }
      }
    } catch (IOException e) {
      // not written yet
    }
    return (int) st[1];
  }

  private final java.util.Map<String, long[]> counted = new java.util.HashMap<>();

  /** Waits until {@code text} occurs {@code times} times in the output since the start. */
  public void awaitLog(String text, int times, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (count(text) < times) {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + " before logging '" + text
            + "': " + output());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " did not log '" + text + "' within " + timeout + ": " + output());
      }
      Thread.sleep(20);
    }
  }

  public String name() {
    return name;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** kill -9, and waits for the exit. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
