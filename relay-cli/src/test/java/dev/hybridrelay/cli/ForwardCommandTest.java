package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.server.LocalRelayServer;
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
      try (ForwardCommand.Running running = ForwardCommand.start(cmd.plan())) {
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
      assertThatThrownBy(() -> ForwardCommand.start(cmd.plan()))
          .isInstanceOfSatisfying(ForwardCommand.StartException.class,
              e -> assertThat(e.exitCode).isEqualTo(ForwardCommand.EXIT_FAILURE))
          .hasMessageContaining("-L " + taken.getLocalPort() + ":hc2: cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }
}
