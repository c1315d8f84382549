package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code serve} with its secrets in files (as from systemd credentials) and a static bearer token. */
@Timeout(60)
class ServeSecretsTest {
  static final String KEY = "a2V5LWZyb20tYS1ydWxlLWZpbGU=";
  static final String JWT = "eyJhbGciOiJSUzI1NiJ9.eyJ0ZXN0Ijoic2VydmUifQ.c2VydmUtc2ln";

  @Test
  void rulesAndBearerTokensFromFilesWorkAndKeysAreNotPrinted(@TempDir Path dir) throws Exception {
    Path rules = Files.writeString(dir.resolve("rules"), "# listen and send\nfiled=" + KEY + ":Listen,Send\n\n");
    Path bearer = Files.writeString(dir.resolve("bearer"), JWT + "\n");
    CommandLine cl = Main.commandLine(new String[0]);
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cl.execute("serve", "--port", "0",
        "--rule-file", rules.toString(), "--accept-bearer-token", "@" + bearer, "--hide-keys", "--hc", "files"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (out.toString().split("\n").length < 2 && System.nanoTime() < deadline && !exit.isDone()) {
      Thread.sleep(20);
    }
    String printed = out.toString();
    assertThat(printed).contains("SharedAccessKeyName=filed;SharedAccessKey=***").doesNotContain(KEY)
        .doesNotContain(JWT);
    int port = serve.server.port();
    URI listen = URI.create("ws://localhost:" + port + "/$hc/files?sb-hc-action=listen");
    WebSocket withBearer = HttpClient.newHttpClient().newWebSocketBuilder().header("ServiceBusAuthorization", JWT)
        .buildAsync(listen, new WebSocket.Listener() {}).get(20, TimeUnit.SECONDS);
    WebSocket withSas = HttpClient.newHttpClient().newWebSocketBuilder()
        .header("ServiceBusAuthorization", ServeCommandTest.token("filed", KEY, "http://localhost/files/"))
        .buildAsync(listen, new WebSocket.Listener() {}).get(20, TimeUnit.SECONDS);
    assertThat(serve.server.listenerCount("files")).isEqualTo(2);
    withBearer.abort();
    withSas.abort();
    serve.stop.countDown();
    assertThat(exit.get(15, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void aBadRuleFileLineIsAUsageErrorWithoutTheKey(@TempDir Path dir) throws Exception {
    Path rules = Files.writeString(dir.resolve("rules"), "ok=" + KEY + "\nmissing the separator\n");
    CommandLine cl = Main.commandLine(new String[0]);
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("serve", "--port", "0", "--rule-file", rules.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("line 2").contains("NAME=KEY");
    Path missing = dir.resolve("absent");
    assertThat(cl.execute("serve", "--port", "0", "--rule-file", missing.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("cannot read " + missing);
  }
}
