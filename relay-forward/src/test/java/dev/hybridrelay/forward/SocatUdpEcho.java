package dev.hybridrelay.forward;

import java.io.File;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real UDP echo service: {@code socat} on 127.0.0.1, one child per peer, each echoing every
 * datagram unchanged through {@code cat} over a datagram socket pair (so datagram boundaries stay
 * intact). Without socat the test is skipped, except in CI (the {@code CI} environment variable is
 * set), where {@code .ci/run} installs it and its absence is a failure.
 */
final class SocatUdpEcho implements AutoCloseable {
  private final Process process;
  private final int port;

  private SocatUdpEcho(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static String socatPath() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      File f = new File(dir, "socat");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }

  /** Starts an echo; skips the test (fails in CI) when socat is not installed. */
  static SocatUdpEcho start() throws Exception {
    String socat = socatPath();
    if (socat == null) {
      String message = "socat is not installed (apt-get install socat); the UDP tests need it as a real UDP echo";
      if (System.getenv("CI") != null) {
        Assertions.fail(message + " — in CI, .ci/run installs it");
      }
      Assumptions.abort(message);
    }
    for (int attempt = 0; ; attempt++) {
      int port;
      try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
        port = probe.getLocalPort();
      }
      Process p = new ProcessBuilder(socat, "-T", "60", "-b", "65536",
          "UDP4-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork,rcvbuf=4194304", "EXEC:cat,socktype=2")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      SocatUdpEcho echo = new SocatUdpEcho(p, port);
      if (echo.answers()) {
        return echo;
      }
      echo.close();
      if (attempt == 4) {
        Assertions.fail("socat did not start a UDP echo on 127.0.0.1 (exit " + (p.isAlive() ? "-" : p.exitValue()) + ")");
      }
    }
  }

  /** Whether a probe datagram comes back (socat needs a moment to bind). */
  private boolean answers() throws IOException {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      s.setSoTimeout(200);
      byte[] probe = "probe".getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 50 && process.isAlive(); i++) {
        s.send(new DatagramPacket(probe, probe.length, InetAddress.getLoopbackAddress(), port));
        DatagramPacket r = new DatagramPacket(new byte[16], 16);
        try {
          s.receive(r);
          if (Arrays.equals(Arrays.copyOf(r.getData(), r.getLength()), probe)) {
            return true;
          }
        } catch (SocketTimeoutException e) {
          // not yet
        }
      }
    }
    return false;
  }

  int port() {
    return port;
  }

  @Override
  public void close() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }
}
