package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServeCommandTest {
  private static final Pattern CS = Pattern.compile(
      "Endpoint=sb://([^:/]+):(\\d+)/;SharedAccessKeyName=([^;]+);SharedAccessKey=([^;]+);UseDevelopmentEmulator=true");

  @Test
  void servePrintsConnectionStringsAndAcceptsListeners() throws Exception {
    CommandLine cl = Main.commandLine(new String[0]);
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute("serve",
        "--port", "0", "--rule", "cli-rule=c2VjcmV0LWtleS1mb3ItY2xpLXRlc3Q=:Listen,Send",
        "--rule", "other=b3RoZXIta2V5", "--hc", "cli-hc", "--accept-timeout", "2s"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (out.toString().split("\n").length < 3 && System.nanoTime() < deadline && !exit.isDone()) {
      Thread.sleep(20);
    }
    String[] lines = out.toString().split("\n");
    assertThat(lines).hasSizeGreaterThanOrEqualTo(3);
    assertThat(lines[2]).startsWith("Endpoint=").contains("SharedAccessKeyName=other");
    Matcher m = CS.matcher(lines[1].trim());
    assertThat(m.matches()).as(lines[1]).isTrue();
    String host = m.group(1);
    int port = Integer.parseInt(m.group(2));
    String token = token(m.group(3), m.group(4), "http://" + host + "/cli-hc/");

    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
        .header("ServiceBusAuthorization", token)
        .connectTimeout(Duration.ofSeconds(5))
        .buildAsync(URI.create("ws://" + host + ":" + port + "/$hc/cli-hc?sb-hc-action=listen"),
            new WebSocket.Listener() {})
        .get(10, TimeUnit.SECONDS);
    assertThat(serve.server.listenerCount("cli-hc")).isEqualTo(1);
    ws.abort();

    serve.stop.countDown();
    assertThat(exit.get(15, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void withoutRulesAGeneratedRootKeyIsPrinted() throws Exception {
    CommandLine cl = Main.commandLine(new String[0]);
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute("serve", "--port", "0"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!out.toString().contains("Endpoint=") && System.nanoTime() < deadline && !exit.isDone()) {
      Thread.sleep(20);
    }
    assertThat(out.toString()).containsPattern(
        "Endpoint=sb://localhost:\\d+/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=[A-Za-z0-9+/]{43}=");
    serve.stop.countDown();
    assertThat(exit.get(15, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void behindAReverseProxyTheConnectionStringNamesThePublicPortAndWss() throws Exception {
    CommandLine cl = Main.commandLine(new String[0]);
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute("serve", "--port", "0",
        "--advertised-host", "relay.example.com", "--advertised-port", "443", "--advertised-scheme", "wss",
        "--trusted-proxy", "127.0.0.1/32"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!out.toString().contains("Endpoint=") && System.nanoTime() < deadline && !exit.isDone()) {
      Thread.sleep(20);
    }
    assertThat(out.toString()).contains("Endpoint=sb://relay.example.com:443/;").doesNotContain("UseDevelopmentEmulator");
    serve.stop.countDown();
    assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
    CommandLine bad = Main.commandLine(new String[0]);
    bad.setErr(new PrintWriter(new StringWriter()));
    assertThat(bad.execute("serve", "--port", "0", "--advertised-scheme", "https")).isEqualTo(2);
    assertThat(bad.execute("serve", "--port", "0", "--trusted-proxy", "10.0.0.0/99")).isEqualTo(2);
    assertThat(bad.execute("serve", "--port", "0", "--proxy-protocol")).as("needs --trusted-proxy").isEqualTo(2);
  }

  @Test
  void badTransportIsAUsageErrorThatNamesTheChoices() {
    CommandLine cl = Main.commandLine(new String[0]);
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("serve", "--port", "0", "--transport", "kqueue")).isEqualTo(2);
    assertThat(err.toString()).contains("--transport expects auto, nio or epoll, got 'kqueue'");
  }

  @Test
  void theChosenTransportServes() throws Exception {
    CommandLine cl = Main.commandLine(new String[0]);
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute("serve", "--port", "0",
        "--transport", "nio"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!out.toString().contains("Endpoint=") && System.nanoTime() < deadline && !exit.isDone()) {
      Thread.sleep(20);
    }
    assertThat(serve.server.transportName()).isEqualTo("nio");
    serve.stop.countDown();
    assertThat(exit.get(15, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void badRuleIsAUsageError() {
    CommandLine cl = Main.commandLine(new String[0]);
    cl.setErr(new PrintWriter(new StringWriter()));
    assertThat(cl.execute("serve", "--port", "0", "--rule", "no-key-here")).isEqualTo(2);
  }

  @Test
  void durationsAcceptShortAndIsoForms() {
    assertThat(ServeCommand.duration("x", "30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(ServeCommand.duration("x", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(ServeCommand.duration("x", "5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(ServeCommand.duration("x", "PT1M")).isEqualTo(Duration.ofMinutes(1));
    assertThat(ServeCommand.duration("x", "5")).isEqualTo(Duration.ofSeconds(5));
    assertThat(ServeCommand.duration("x", "45")).isEqualTo(Duration.ofSeconds(45));
  }

  static String token(String keyName, String key, String resource) throws Exception {
    long se = System.currentTimeMillis() / 1000 + 600;
    String sr = URLEncoder.encode(resource, StandardCharsets.UTF_8);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String sig = Base64.getEncoder().encodeToString(mac.doFinal((sr + "\n" + se).getBytes(StandardCharsets.UTF_8)));
    return "SharedAccessSignature sr=" + sr + "&sig=" + URLEncoder.encode(sig, StandardCharsets.UTF_8)
        + "&se=" + se + "&skn=" + URLEncoder.encode(keyName, StandardCharsets.UTF_8);
  }
}
