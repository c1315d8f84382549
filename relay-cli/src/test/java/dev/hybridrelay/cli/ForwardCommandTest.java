package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.testkit.Payloads;
import dev.hybridrelay.testkit.UnixPeers;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code hybridrelay forward} end to end in one process, against the local relay. */
class ForwardCommandTest {
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static LocalRelayServer relay;

  @BeforeAll
  static void startRelay() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule("cli", KEY).autoCreate(true).build().start();
  }

  @AfterAll
  static void stopRelay() {
    relay.shutdown(Duration.ofSeconds(1));
  }

  @Test
  @Timeout(60)
  void localAndRemoteRulesInOneProcessForwardBytes() throws Exception {
    try (ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
         ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int localPort = probe.getLocalPort();
      probe.close();
      Thread echo = new Thread(() -> {
        try (Socket s = target.accept()) {
          InputStream in = s.getInputStream();
          OutputStream out = s.getOutputStream();
          out.write(in.readAllBytes());
          s.shutdownOutput();
        } catch (Exception ignored) {
          // the client side asserts
        }
      });
      echo.setDaemon(true);
      echo.start();
      ForwardCommand cmd = new ForwardCommand();
      new CommandLine(cmd).parseArgs("-x", relay.connectionString("cli"),
          "-T", "cli-hc:echo/127.0.0.1:" + target.getLocalPort(),
          "-L", localPort + "/echo:cli-hc", "--status-interval", "0");
      try (ForwardRun.Running running = ForwardRun.start(cmd.plan())) {
        assertThat(running.remotes).hasSize(1);
        assertThat(running.locals).hasSize(1);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), localPort)) {
          s.setSoTimeout(20_000);
          s.getOutputStream().write("through the relay".getBytes(StandardCharsets.UTF_8));
          s.shutdownOutput();
          assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("through the relay");
        }
      }
    }
  }

  @Test
  @Timeout(60)
  void wrongKeyExitsWithThreeAndNoSecretInTheOutput() throws Exception {
    String cs = relay.connectionString("cli");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    int code;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = new CommandLine(new ForwardCommand()).execute("-x", cs, "-k", "wrong-canary-key", "-T", "hc1:22",
          "--status-interval", "0", "-q");
    } finally {
      System.setErr(old);
    }
    assertThat(code).isEqualTo(ForwardCommand.EXIT_REFUSED);
    assertThat(err.toString(StandardCharsets.UTF_8)).doesNotContain("wrong-canary-key").doesNotContain(KEY);
  }

  @Test
  void usageAndConfigErrorsExitWithTwo() {
    PrintStream old = System.err;
    try {
      System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      assertThat(new CommandLine(new ForwardCommand()).execute("-x", relay.connectionString("cli"), "-L", "99999:hc"))
          .isEqualTo(ForwardCommand.EXIT_USAGE);
      assertThat(new CommandLine(new ForwardCommand()).execute("--no-such-option")).isEqualTo(ForwardCommand.EXIT_USAGE);
      ForwardCommand nothing = new ForwardCommand();
      nothing.environment = n -> null;
      assertThat(new CommandLine(nothing).execute("-x", relay.connectionString("cli")))
          .isEqualTo(ForwardCommand.EXIT_USAGE);
    } finally {
      System.setErr(old);
    }
  }

  @Test
  @Timeout(30)
  void portInUseIsARuntimeFailure() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      ForwardCommand cmd = new ForwardCommand();
      new CommandLine(cmd).parseArgs("-x", relay.connectionString("cli"), "-L", taken.getLocalPort() + ":hc2",
          "--status-interval", "0");
      assertThatThrownBy(() -> ForwardRun.start(cmd.plan()))
          .isInstanceOfSatisfying(ForwardRun.StartException.class,
              e -> assertThat(e.exitCode).isEqualTo(ForwardCommand.EXIT_FAILURE))
          .hasMessageContaining("-L " + taken.getLocalPort() + ":hc2: cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  /** A one-connection echo service on loopback; returns its server socket (closed by the caller). */
  private static ServerSocket echoService() throws Exception {
    ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread echo = new Thread(() -> {
      while (!target.isClosed()) {
        try (Socket s = target.accept()) {
          s.getOutputStream().write(s.getInputStream().readAllBytes());
          s.shutdownOutput();
        } catch (Exception ignored) {
          // closed, or the client side asserts
        }
      }
    }, "test-echo");
    echo.setDaemon(true);
    echo.start();
    return target;
  }

  private static int freePort() throws Exception {
    try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  /** Edge and cloud side as two separate forwarders, each from its own command line. */
  private static String roundTrip(String[] edge, String[] cloud, int localPort) throws Exception {
    ForwardCommand edgeCmd = new ForwardCommand();
    new CommandLine(edgeCmd).parseArgs(edge);
    ForwardCommand cloudCmd = new ForwardCommand();
    new CommandLine(cloudCmd).parseArgs(cloud);
    try (ForwardRun.Running e = ForwardRun.start(edgeCmd.plan());
         ForwardRun.Running c = ForwardRun.start(cloudCmd.plan());
         Socket s = new Socket(InetAddress.getLoopbackAddress(), localPort)) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write("azbridge style".getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  @Timeout(60)
  void plainAzbridgeFormsWithDifferentPortNumbersWorkByDefault() throws Exception {
    try (ServerSocket target = echoService()) {
      int localPort = freePort();
      String cs = relay.connectionString("cli");
      // as "forward -T web:127.0.0.1:8000" on the edge and "forward -L 18080:web" in the cloud
      String got = roundTrip(
          new String[] {"-x", cs, "-T", "lone-web:127.0.0.1:" + target.getLocalPort(), "--status-interval", "0"},
          new String[] {"-x", cs, "-L", localPort + ":lone-web", "--status-interval", "0"}, localPort);
      assertThat(got).isEqualTo("azbridge style");
    }
  }

  @Test
  @Timeout(60)
  void proxyProtocolOptionPutsTheClientAddressBeforeTheData() throws Exception {
    try (ServerSocket target = echoService()) {
      int localPort = freePort();
      String cs = relay.connectionString("cli");
      String got = roundTrip(
          new String[] {"-x", cs, "-T", "pp-web:web/127.0.0.1:" + target.getLocalPort(), "--proxy-protocol", "v1",
              "--status-interval", "0"},
          new String[] {"-x", cs, "-L", localPort + "/web:pp-web", "--port-name-attempts", "3", "--status-interval",
              "0"}, localPort);
      assertThat(got).matches("PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 [0-9]+ " + localPort
          + "\r\nazbridge style");
    }
    ForwardCommand bad = new ForwardCommand();
    new CommandLine(bad).parseArgs("-x", relay.connectionString("cli"), "-T", "hc:22", "--proxy-protocol", "v3");
    assertThatThrownBy(bad::plan).hasMessageContaining("--proxy-protocol").hasMessageContaining("use v1 or v2");
    ForwardCommand attempts = new ForwardCommand();
    new CommandLine(attempts).parseArgs("-x", relay.connectionString("cli"), "-L", "8080:hc", "--port-name-attempts",
        "0");
    assertThatThrownBy(attempts::plan).hasMessageContaining("--port-name-attempts: must be 1-1000");
  }

  @Test
  @Timeout(60)
  void strictPortNamesRefuseTheSameCommandLines() throws Exception {
    try (ServerSocket target = echoService()) {
      int localPort = freePort();
      String cs = relay.connectionString("cli");
      // The refusal resets the client; it may arrive while connecting, writing or reading.
      assertThatThrownBy(() -> roundTrip(
          new String[] {"-x", cs, "-T", "strict-web:127.0.0.1:" + target.getLocalPort(), "--strict-port-names",
              "--status-interval", "0"},
          new String[] {"-x", cs, "-L", localPort + ":strict-web", "--status-interval", "0"}, localPort))
          .isInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void thePlainestAzbridgeCommandLinesParse() throws Exception {
    ForwardCommand cloud = new ForwardCommand();
    new CommandLine(cloud).parseArgs("-x", relay.connectionString("cli"), "-L", "8080:hc");
    ForwardPlan p = cloud.plan();
    assertThat(p.localRules).singleElement().satisfies(r -> {
      assertThat(r.port()).isEqualTo(8080);
      assertThat(r.effectivePortName()).isEqualTo("8080");
      assertThat(r.hybridConnection()).isEqualTo("hc");
    });
    ForwardCommand edge = new ForwardCommand();
    new CommandLine(edge).parseArgs("-x", relay.connectionString("cli"), "-T", "hc:host:80");
    assertThat(edge.plan().remoteRules).singleElement().satisfies(r -> {
      assertThat(r.host()).isEqualTo("host");
      assertThat(r.port()).isEqualTo(80);
      assertThat(r.effectivePortName()).isEqualTo("80");
      assertThat(r.hybridConnection()).isEqualTo("hc");
    });
    assertThat(edge.plan().strictPortNames).isFalse();
  }

  @Test
  @Timeout(120)
  void tcpThroughToAUnixSocketServiceAndAUnixSocketThroughToTcp(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    String cs = relay.connectionString("cli");
    // -L PORT:hc (TCP) -> -T hc:/path/app.sock (a python3 echo service on a socket file)
    try (UnixPeers.EchoService service = new UnixPeers.EchoService(dir.resolve("app.sock"))) {
      int localPort = freePort();
      ForwardCommand edge = new ForwardCommand();
      new CommandLine(edge).parseArgs("-x", cs, "-T", "cli-unix:" + service.path, "--status-interval", "0");
      ForwardCommand cloud = new ForwardCommand();
      new CommandLine(cloud).parseArgs("-x", cs, "-L", localPort + ":cli-unix", "--status-interval", "0");
      byte[] data = Payloads.bytes(Payloads.seed("cli-tcp-to-unix"), 1 << 20);
      try (ForwardRun.Running e = ForwardRun.start(edge.plan());
           ForwardRun.Running c = ForwardRun.start(cloud.plan());
           Socket s = new Socket(InetAddress.getLoopbackAddress(), localPort)) {
        s.setSoTimeout(60_000);
        byte[] got = UnixPeers.exchange(s.getInputStream(), s.getOutputStream(), () -> {
          try {
            s.shutdownOutput();
          } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
          }
        }, data);
        assertThat(Payloads.digest(got)).isEqualTo(Payloads.digest(data));
      }
    }
    // -L /path/front.sock/web:hc (a Unix socket) -> -T hc:web/127.0.0.1:PORT (TCP)
    try (ServerSocket target = echoService()) {
      java.nio.file.Path front = dir.resolve("front.sock");
      ForwardCommand edge = new ForwardCommand();
      new CommandLine(edge).parseArgs("-x", cs, "-T", "cli-unix2:web/127.0.0.1:" + target.getLocalPort(),
          "--status-interval", "0");
      ForwardCommand cloud = new ForwardCommand();
      new CommandLine(cloud).parseArgs("-x", cs, "-L", front + "/web:cli-unix2", "--socket-mode", "600",
          "--status-interval", "0");
      try (ForwardRun.Running e = ForwardRun.start(edge.plan());
           ForwardRun.Running c = ForwardRun.start(cloud.plan())) {
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
            java.nio.file.Files.getPosixFilePermissions(front))).isEqualTo("rw-------");
        try (java.nio.channels.SocketChannel ch = UnixPeers.connect(front)) {
          byte[] got = UnixPeers.exchange(ch, "from a socket file".getBytes(StandardCharsets.UTF_8));
          assertThat(new String(got, StandardCharsets.UTF_8)).isEqualTo("from a socket file");
        }
      }
      assertThat(java.nio.file.Files.exists(front)).as("removed when the forwarder stops").isFalse();
    }
  }

  @Test
  @Timeout(60)
  void anAzbridgeConfigFileRunsUnchanged(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    try (ServerSocket target = echoService()) {
      int localPort = freePort();
      java.nio.file.Path edgeFile = dir.resolve("edge.yml");
      java.nio.file.Files.writeString(edgeFile, String.join("\n",
          "---",
          "KeepAliveInterval: 10",
          "ExitOnForwardFailure: true",
          "RemoteForward:",
          "  - RelayName: cfg-web",
          "    ConnectionString: \"" + relay.connectionString("cli") + "\"",
          "    Bindings:",
          "      - Host: 127.0.0.1",
          "        HostPort: " + target.getLocalPort(),
          ""));
      java.nio.file.Path cloudFile = dir.resolve("cloud.yml");
      java.nio.file.Files.writeString(cloudFile, String.join("\n",
          "AzureRelayConnectionString: \"" + relay.connectionString("cli") + "\"",
          "GatewayPorts : no",
          "LocalForward:",
          "  - bind_address: 127.0.0.1",
          "    port: " + localPort,
          "    relay_name: cfg-web",
          ""));
      String got = roundTrip(new String[] {"-f", edgeFile.toString(), "--status-interval", "0"},
          new String[] {"-f", cloudFile.toString(), "--status-interval", "0"}, localPort);
      assertThat(got).isEqualTo("azbridge style");
    }
  }
}
