package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --metrics-port}: {@code /readyz?hc=NAME} is ready only while a listener of that hybrid
 * connection is registered with the relay (the health check of a relay pool behind a load balancer),
 * with a real relay process, a real listener and real HTTP requests; bad parameters get 400.
 */
class ServeReadinessTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern ENDPOINT = Pattern.compile("Metrics and health on http://127\\.0\\.0\\.1:(\\d+)/");

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir
  Path dir;

  @Test
  @Timeout(180)
  void readyForAHybridConnectionOnlyWhileAListenerIsRegistered() throws Exception {
    String key = LocalRelayServer.Builder.randomKey();
    int relayPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      relayPort = s.getLocalPort();
    }
    try (CliProcess serve = CliProcess.start(dir, "serve", null, "serve", "--port", String.valueOf(relayPort),
        "--rule", "ops=" + key, "--hc", "app", "--hc", "other", "--metrics-port", "0")) {
      serve.awaitStderr("Metrics and health on http://127.0.0.1:", WAIT);
      Matcher m = ENDPOINT.matcher(serve.stderr());
      assertThat(m.find()).as("metrics address in %s", serve.stderr()).isTrue();
      int metrics = Integer.parseInt(m.group(1));

      // Without the parameter: ready as soon as the relay accepts connections, as before.
      assertThat(get(metrics, "/readyz").statusCode()).isEqualTo(200);
      HttpResponse<String> none = get(metrics, "/readyz?hc=app");
      assertThat(none.statusCode()).isEqualTo(503);
      assertThat(none.body()).isEqualTo(
          "{\"status\":\"not ready\",\"reasons\":[\"no listener is registered for hybrid connection 'app'\"]}\n");
      assertThat(get(metrics, "/readyz?hc=app&typo=1").statusCode()).isEqualTo(400);
      assertThat(get(metrics, "/readyz?hc=").statusCode()).isEqualTo(400);
      assertThat(get(metrics, "/readyz?hcs=app").body()).contains("unknown parameter 'hcs'");

      String cs = "Endpoint=sb://localhost:" + relayPort + "/;SharedAccessKeyName=ops;SharedAccessKey=" + key
          + ";EntityPath=app;UseDevelopmentEmulator=true";
      RelayListener listener = RelayListener.builder(cs).connectionHandler(c -> c.abort()).build();
      try {
        listener.open();
        // open() returns once the relay registered the control channel: ready at once, no waiting
        HttpResponse<String> ready = get(metrics, "/readyz?hc=app");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}\n");
        HttpResponse<String> both = get(metrics, "/readyz?hc=app&hc=other");
        assertThat(both.statusCode()).isEqualTo(503);
        assertThat(both.body()).contains("hybrid connection 'other'").doesNotContain("'app'");
      } finally {
        listener.close();
      }
      // The listener gone: not ready for it again.
      await().atMost(WAIT).untilAsserted(() -> assertThat(get(metrics, "/readyz?hc=app").statusCode()).isEqualTo(503));
      assertThat(get(metrics, "/readyz").statusCode()).isEqualTo(200);
    }
  }

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
