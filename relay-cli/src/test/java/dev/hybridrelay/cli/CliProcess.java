package dev.hybridrelay.cli;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code hybridrelay} in a child JVM (the test class path), with standard output and error in
 * files and standard input from a file or a pipe the test writes to.
 */
final class CliProcess implements AutoCloseable {
  final Process process;
  final Path out;
  final Path err;

  private CliProcess(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
  }

  /** Starts {@code hybridrelay args}; {@code stdin} null means a pipe ({@link #stdin()}). */
  static CliProcess start(Path dir, String name, Path stdin, String... args) throws IOException {
    return start(dir, name, stdin, List.of(), args);
  }

  /**
   * Starts {@code hybridrelay args} in a JVM with the extra options {@code jvmArgs} (e.g. {@code
   * -Djavax.net.ssl.trustStore=...}); {@code stdin} null means a pipe ({@link #stdin()}). The
   * child sees no proxy environment variables, so only {@code --proxy} selects a proxy.
   */
  static CliProcess start(Path dir, String name, Path stdin, List<String> jvmArgs, String... args)
      throws IOException {
    return start(dir, name, stdin, jvmArgs, java.util.Map.of(), args);
  }

  /**
   * As above, with extra environment variables. The child never inherits Azure credential variables
   * (AZURE_*, IDENTITY_*, MSI_*): only {@code env} sets them.
   */
  static CliProcess start(Path dir, String name, Path stdin, List<String> jvmArgs, java.util.Map<String, String> env,
      String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    Path out = dir.resolve(name + ".out");
    Path err = dir.resolve(name + ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().remove("HYBRIDRELAY_CONNECTION_STRING");
    pb.environment().remove("AZURE_BRIDGE_CONNECTIONSTRING");
    for (String v : List.of("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY")) {
      pb.environment().remove(v);
    }
    pb.environment().keySet().removeIf(k -> k.startsWith("AZURE_") || k.startsWith("IDENTITY_") || k.startsWith("MSI_"));
    pb.environment().putAll(env);
    if (stdin != null) {
      pb.redirectInput(stdin.toFile());
    }
    return new CliProcess(pb.start(), out, err);
  }

  /** Standard input, when started without a file. */
  OutputStream stdin() {
    return process.getOutputStream();
  }

  /** Waits for the exit; fails the test if it takes longer than {@code timeout}. */
  int waitFor(Duration timeout) throws InterruptedException, IOException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("hybridrelay did not exit within " + timeout + "; stderr: " + stderr());
    }
    return process.exitValue();
  }

  /** Waits until standard error contains {@code text}. */
  void awaitStderr(String text, Duration timeout) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!stderr().contains(text)) {
      if (!process.isAlive()) {
        throw new AssertionError("hybridrelay exited with " + process.exitValue() + " before printing '" + text
            + "'; stderr: " + stderr());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("hybridrelay did not print '" + text + "' within " + timeout + "; stderr: " + stderr());
      }
      Thread.sleep(50);
    }
  }

  String stderr() throws IOException {
    return Files.readString(err, StandardCharsets.UTF_8);
  }

  File outFile() {
    return out.toFile();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
