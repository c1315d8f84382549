package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.core.RelayProxy;
import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.testkit.SquidProxy;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code --proxy} / {@code --no-proxy} and the environment, and {@code forward} through a real Squid. */
class ProxyOptionsTest {
  static ProxyOptions parse(String... args) {
    ForwardCommand cmd = new ForwardCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd.proxyOptions;
  }

  @Test
  void precedenceFlagThenJdkThenEnvironment() {
    Map<String, String> env = Map.of("https_proxy", "http://env:3128", "NO_PROXY", ".corp.example");
    RelayProxy flag = parse("--proxy", "http://u:p%40ss@flag:8080").resolve(env);
    assertThat(flag.host()).isEqualTo("flag");
    assertThat(flag.port()).isEqualTo(8080);
    assertThat(flag.username()).isEqualTo("u");
    assertThat(flag.noProxy()).as("NO_PROXY applies to --proxy too, as in curl").isEqualTo(".corp.example");
    assertThat(flag.toString()).doesNotContain("p@ss").doesNotContain("p%40ss");
    assertThat(parse("--proxy", "http://flag:1", "--no-proxy", "localhost").resolve(env).noProxy()).isEqualTo("localhost");
    assertThat(parse("--proxy", "none").resolve(env).isDirect()).isTrue();
    RelayProxy fromEnv = parse().resolve(env);
    assertThat(fromEnv.isSystem()).isTrue();
    assertThat(fromEnv.toString()).contains("https=http://env:3128").contains("noProxy=.corp.example");
    assertThat(parse("--no-proxy", "*").resolve(env).noProxy()).isEqualTo("*");
    assertThat(parse().resolve(Map.of())).isEqualTo(RelayProxy.system());
  }

  @Test
  void badValuesAreUsageErrorsWithoutThePassword() {
    assertThatThrownBy(() -> parse("--proxy", "socks5://u:TopSecret1@h:1").resolve(Map.of()))
        .hasMessageStartingWith("--proxy: Unsupported proxy scheme 'socks5'").hasMessageNotContaining("TopSecret1");
    assertThatThrownBy(() -> parse("--proxy", "http://h:1", "--no-proxy", "10.0.0.0/40").resolve(Map.of()))
        .hasMessageContaining("Malformed CIDR range");
    assertThatThrownBy(() -> parse().resolve(Map.of("HTTPS_PROXY", "ftp://h")))
        .hasMessageContaining("Environment variable HTTPS_PROXY");
  }

  @Test
  @Timeout(300)
  void forwardLocalAndRemoteThroughSquidWithProxyFlag() throws Exception {
    String missing = SquidProxy.unavailableReason();
    if (missing != null && System.getenv("CI") != null) {
      throw new AssertionError("CI is set but squid cannot run: " + missing);
    }
    Assumptions.assumeTrue(missing == null, () -> "Skipping forward through Squid: " + missing);
    String key = LocalRelayServer.Builder.randomKey();
    String password = "CliProxyCanary-81Kx";
    LocalRelayServer relay = LocalRelayServer.builder().port(0).rule("cli", key).autoCreate(true).build().start();
    try (SquidProxy squid = SquidProxy.builder().user("carol", password).allowPort(relay.port()).start();
         ServerSocket target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
         ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int localPort = probe.getLocalPort();
      probe.close();
      Thread echo = new Thread(() -> {
        try (Socket s = target.accept()) {
          s.getInputStream().transferTo(s.getOutputStream());
          s.shutdownOutput();
        } catch (Exception ignored) {
          // the client side asserts
        }
      });
      echo.setDaemon(true);
      echo.start();
      ForwardCommand cmd = new ForwardCommand();
      new CommandLine(cmd).parseArgs("-x", relay.connectionString("cli"),
          "-T", "cli-px:echo/127.0.0.1:" + target.getLocalPort(),
          "-L", localPort + "/echo:cli-px", "--status-interval", "0",
          "--proxy", squid.url("carol", password));
      byte[] data = new byte[8 << 20];
      new Random(13).nextBytes(data);
      try (ForwardCommand.Running running = ForwardCommand.start(cmd.plan(), cmd.proxyOptions);
           Socket s = new Socket(InetAddress.getLoopbackAddress(), localPort)) {
        s.setSoTimeout(120_000);
        Thread w = new Thread(() -> {
          try {
            OutputStream out = s.getOutputStream();
            out.write(data);
            s.shutdownOutput();
          } catch (Exception ignored) {
            // the reader asserts
          }
        });
        w.start();
        InputStream in = s.getInputStream();
        byte[] back = in.readAllBytes();
        w.join();
        assertThat(sha256(back)).isEqualTo(sha256(data));
      }
      assertThat(squid.accessLog()).filteredOn(l -> l.contains("TCP_TUNNEL/200")).hasSizeGreaterThanOrEqualTo(1);
      // a wrong password: a clear error naming the proxy, exit code 1, no password in the output
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream old = System.err;
      int code;
      try {
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        code = new CommandLine(new ForwardCommand()).execute("-x", relay.connectionString("cli"),
            "-T", "cli-px2:127.0.0.1:" + target.getLocalPort(), "--status-interval", "0",
            "--proxy", squid.url("carol", "wrong" + password));
      } finally {
        System.setErr(old);
      }
      assertThat(code).isEqualTo(ForwardCommand.EXIT_FAILURE);
      String out = err.toString(StandardCharsets.UTF_8);
      assertThat(out).contains("Proxy " + squid.address() + " refused the credentials of user 'carol' (407")
          .doesNotContain(password).doesNotContain(key);
    } finally {
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  @Test
  @Timeout(300)
  void connectAndListenThroughSquid() throws Exception {
    String missing = SquidProxy.unavailableReason();
    if (missing != null && System.getenv("CI") != null) {
      throw new AssertionError("CI is set but squid cannot run: " + missing);
    }
    Assumptions.assumeTrue(missing == null, () -> "Skipping connect/listen through Squid: " + missing);
    String password = "CliProxyCanary-93Qm";
    LocalRelayServer relay = LocalRelayServer.builder().port(0).rule("cli", LocalRelayServer.Builder.randomKey())
        .autoCreate(true).build().start();
    try (SquidProxy squid = SquidProxy.builder().user("dave", password).allowPort(relay.port()).start();
         dev.hybridrelay.core.RelayListener echo = dev.hybridrelay.core.RelayListener
             .builder(relay.connectionString("cli", "px-echo")).proxy(RelayProxy.parse(squid.url("dave", password)))
             .connectionHandler(c -> {
               try (c) {
                 c.getInputStream().transferTo(c.getOutputStream());
                 c.shutdownOutput();
               } catch (Exception ignored) {
                 // the sender asserts
               }
             }).build()) {
      echo.open();
      byte[] data = new byte[4 << 20];
      new Random(17).nextBytes(data);
      ConnectCommand connect = new ConnectCommand();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      connect.stdin = new java.io.ByteArrayInputStream(data);
      connect.stdout = out;
      connect.stderr = new PrintStream(err, true, StandardCharsets.UTF_8);
      connect.common.environment = name -> null;
      int code = new CommandLine(connect).execute("-x", relay.connectionString("cli"), "--hc", "px-echo",
          "--proxy", squid.url("dave", password));
      assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
      assertThat(sha256(out.toByteArray())).isEqualTo(sha256(data));
      // listen with a wrong proxy password: a clear error, no password
      ListenCommand listen = new ListenCommand();
      ByteArrayOutputStream lerr = new ByteArrayOutputStream();
      listen.stdin = new java.io.ByteArrayInputStream(new byte[0]);
      listen.stdout = new ByteArrayOutputStream();
      listen.stderr = new PrintStream(lerr, true, StandardCharsets.UTF_8);
      listen.common.environment = name -> null;
      int lcode = new CommandLine(listen).execute("-x", relay.connectionString("cli"), "--hc", "px-l",
          "--proxy", squid.url("dave", "bad" + password));
      String msg = lerr.toString(StandardCharsets.UTF_8);
      assertThat(lcode).isEqualTo(ExitCodes.FAILURE);
      assertThat(msg).contains("Proxy " + squid.address() + " refused the credentials of user 'dave' (407")
          .doesNotContain(password);
      assertThat(squid.accessLog()).filteredOn(l -> l.contains("TCP_TUNNEL/200")).isNotEmpty();
    } finally {
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
