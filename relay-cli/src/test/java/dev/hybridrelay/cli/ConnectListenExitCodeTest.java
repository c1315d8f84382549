package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.server.AccessRights;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * The exit codes and one-line errors of {@code connect} and {@code listen} for each kind of
 * refusal, against the local relay (in process, with real streams for standard input and output).
 */
class ConnectListenExitCodeTest {
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static final String SEND_KEY = LocalRelayServer.Builder.randomKey();
  private static final String LISTEN_KEY = LocalRelayServer.Builder.randomKey();
  private static LocalRelayServer relay;

  @BeforeAll
  static void startRelay() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule("all", KEY)
        .rule("send-only", SEND_KEY, AccessRights.SEND)
        .rule("listen-only", LISTEN_KEY, AccessRights.LISTEN)
        .hybridConnection("codes").hybridConnection("slow")
        .build().start();
  }

  @AfterAll
  static void stopRelay() {
    relay.shutdown(Duration.ofSeconds(1));
  }

  /** Exit code and standard error of one run. */
  record Run(int code, String stderr, byte[] stdout) {}

  private static Run connect(String... args) {
    ConnectCommand cmd = new ConnectCommand();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    cmd.stdin = new ByteArrayInputStream("ping".getBytes(StandardCharsets.UTF_8));
    cmd.stdout = out;
    cmd.stderr = new PrintStream(err, true, StandardCharsets.UTF_8);
    cmd.common.environment = name -> null;
    int code = new CommandLine(cmd).execute(args);
    return new Run(code, err.toString(StandardCharsets.UTF_8), out.toByteArray());
  }

  private static Run listen(String... args) {
    ListenCommand cmd = new ListenCommand();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    cmd.stdin = new ByteArrayInputStream(new byte[0]);
    cmd.stdout = new ByteArrayOutputStream();
    cmd.stderr = new PrintStream(err, true, StandardCharsets.UTF_8);
    cmd.common.environment = name -> null;
    int code = new CommandLine(cmd).execute(args);
    return new Run(code, err.toString(StandardCharsets.UTF_8), new byte[0]);
  }

  private static void assertOneLine(Run r, String start) {
    assertThat(r.stderr()).startsWith(start).endsWith(System.lineSeparator());
    assertThat(r.stderr().trim()).doesNotContain("\n").doesNotContain(KEY).doesNotContain(SEND_KEY)
        .doesNotContain(LISTEN_KEY).doesNotContain("sig=").doesNotContain("canary");
  }

  @Test
  @Timeout(60)
  void wrongKeyIs401ExitFour() {
    String bad = relay.connectionString("all").replace(KEY, "canary-wrong-key");
    Run c = connect("-x", bad, "--hc", "codes");
    assertThat(c.code()).isEqualTo(ExitCodes.UNAUTHORIZED);
    assertOneLine(c, "hybridrelay connect: the relay refused the credentials for hybrid connection 'codes': 401");
    Run l = listen("-x", bad, "--hc", "codes");
    assertThat(l.code()).isEqualTo(ExitCodes.UNAUTHORIZED);
    assertOneLine(l, "hybridrelay listen: the relay refused the credentials for listening on hybrid connection 'codes': 401");
  }

  @Test
  @Timeout(60)
  void missingRightIs403ExitFive() {
    Run c = connect("-x", relay.connectionString("listen-only"), "--hc", "codes");
    assertThat(c.code()).isEqualTo(ExitCodes.FORBIDDEN);
    assertOneLine(c, "hybridrelay connect: the relay refused sending to hybrid connection 'codes': 403");
    Run l = listen("-x", relay.connectionString("send-only"), "--hc", "codes");
    assertThat(l.code()).isEqualTo(ExitCodes.FORBIDDEN);
    assertOneLine(l, "hybridrelay listen: the relay refused listening on hybrid connection 'codes': 403");
  }

  @Test
  @Timeout(60)
  void unknownHybridConnectionOrNoListenerIs404ExitSix() {
    Run noListener = connect("-x", relay.connectionString("all"), "--hc", "codes");
    assertThat(noListener.code()).isEqualTo(ExitCodes.NOT_FOUND);
    assertOneLine(noListener, "hybridrelay connect: hybrid connection 'codes': 404");
    Run c = connect("-x", relay.connectionString("all", "no-such-hc"));
    assertThat(c.code()).isEqualTo(ExitCodes.NOT_FOUND);
    assertOneLine(c, "hybridrelay connect: hybrid connection 'no-such-hc': 404");
    Run l = listen("-x", relay.connectionString("all"), "--hc", "no-such-hc");
    assertThat(l.code()).isEqualTo(ExitCodes.NOT_FOUND);
    assertOneLine(l, "hybridrelay listen: hybrid connection 'no-such-hc': 404");
  }

  @Test
  @Timeout(60)
  void noAcceptWithinTheTimeoutIsExitSeven() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (RelayListener stuck = RelayListener.builder(relay.connectionString("all")).entityPath("slow")
        .acceptHandler(request -> release.await(40, TimeUnit.SECONDS)).build()) {
      stuck.open();
      Run c = connect("-x", relay.connectionString("all"), "--hc", "slow", "--timeout", "1500ms");
      assertThat(c.code()).isEqualTo(ExitCodes.TIMEOUT);
      assertOneLine(c, "hybridrelay connect: no listener on hybrid connection 'slow' accepted in time");
    } finally {
      release.countDown();
    }
  }

  @Test
  void usageErrorsAreExitTwoWithoutSecrets() {
    String cs = relay.connectionString("all", "codes");
    Run none = connect("--hc", "codes");
    assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
    assertOneLine(none, "hybridrelay connect: no connection string: give -x");
    Run noHc = connect("-x", relay.connectionString("all"));
    assertThat(noHc.code()).isEqualTo(ExitCodes.USAGE);
    assertOneLine(noHc, "hybridrelay connect: no hybrid connection: give --hc NAME");
    Run otherHc = listen("-x", cs, "--hc", "other");
    assertThat(otherHc.code()).isEqualTo(ExitCodes.USAGE);
    assertOneLine(otherHc, "hybridrelay listen: --hc other: the connection string is for hybrid connection 'codes'");
    Run badTimeout = connect("-x", cs, "--timeout", "soon");
    assertThat(badTimeout.code()).isEqualTo(ExitCodes.USAGE);
    assertOneLine(badTimeout, "hybridrelay connect: --timeout: cannot parse duration 'soon'");
    Run badName = connect("-x", cs, "--port-name", "x".repeat(300));
    assertThat(badName.code()).isEqualTo(ExitCodes.USAGE);
    assertOneLine(badName, "hybridrelay connect: --port-name: The port name must be at most 255 UTF-8 bytes");
    Run badCs = connect("-x", "Endpoint=sb://h/;SharedAccessKeyName=r;SharedAccessKey=canary;Bogus=1");
    assertThat(badCs.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(badCs.stderr()).startsWith("hybridrelay connect: -x: ").doesNotContain("canary");
  }

  @Test
  @Timeout(60)
  void connectionStringFromTheEnvironment() {
    ConnectCommand cmd = new ConnectCommand();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    cmd.stdin = new ByteArrayInputStream(new byte[0]);
    cmd.stdout = new ByteArrayOutputStream();
    cmd.stderr = new PrintStream(err, true, StandardCharsets.UTF_8);
    String cs = relay.connectionString("all", "codes");
    cmd.common.environment = name -> name.equals("AZURE_BRIDGE_CONNECTIONSTRING") ? cs : null;
    // No listener on 'codes': the relay's 404 shows the environment's connection string was used.
    assertThat(new CommandLine(cmd).execute()).isEqualTo(ExitCodes.NOT_FOUND);
  }
}
