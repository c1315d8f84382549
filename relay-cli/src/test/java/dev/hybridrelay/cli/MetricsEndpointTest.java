package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.testkit.Payloads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} and {@code forward} with {@code --metrics-port}, as child processes: traffic moves the
 * counters by the right amounts, the scrape is Prometheus text, and the forwarder's {@code /readyz}
 * follows the relay going away and coming back.
 */
class MetricsEndpointTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern ENDPOINT = Pattern.compile("Metrics and health on http://127\\.0\\.0\\.1:(\\d+)/");
  private static final int CONNECTIONS = 5;
  private static final int PAYLOAD = 20_000;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir
  Path dir;

  @Test
  @Timeout(240)
  void countersMoveByTheTrafficAndReadinessFollowsTheRelay() throws Exception {
    String key = LocalRelayServer.Builder.randomKey();
    int relayPort = freePort();
    int localPort = freePort();
    String[] serveArgs = {"serve", "--port", String.valueOf(relayPort), "--rule", "ops=" + key, "--hc", "ops-hc",
        "--metrics-port", "0"};
    try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
         CliProcess serve = CliProcess.start(dir, "serve", null, serveArgs)) {
      startEcho(echo);
      int relayMetrics = metricsPort(serve);
      String cs = "Endpoint=sb://localhost:" + relayPort + "/;SharedAccessKeyName=ops;SharedAccessKey=" + key
          + ";EntityPath=ops-hc;UseDevelopmentEmulator=true";
      try (CliProcess forward = CliProcess.start(dir, "forward", null, "forward", "-x", cs,
          "-T", "ops-hc:echo/127.0.0.1:" + echo.getLocalPort(), "-L", localPort + "/echo:ops-hc",
          "--status-interval", "0", "--metrics-port", "0")) {
        int fwdMetrics = metricsPort(forward);
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(fwdMetrics, "/readyz").statusCode()).isEqualTo(200));
        assertThat(get(fwdMetrics, "/readyz").body()).isEqualTo("{\"status\":\"ready\"}\n");
        assertThat(get(relayMetrics, "/readyz").body()).isEqualTo("{\"status\":\"ready\"}\n");
        HttpResponse<String> alive = get(relayMetrics, "/healthz");
        assertThat(alive.statusCode()).isEqualTo(200);
        assertThat(alive.body()).isEqualTo("{\"status\":\"alive\"}\n");
        assertThat(alive.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(get(fwdMetrics, "/healthz").statusCode()).isEqualTo(200);
        assertThat(get(fwdMetrics, "/nothing-here").statusCode()).isEqualTo(404);
        // hc= is serve's: the forwarder refuses it rather than ignoring it
        assertThat(get(fwdMetrics, "/readyz?hc=ops-hc").statusCode()).isEqualTo(400);
        assertThat(get(relayMetrics, "/readyz?hc=ops-hc").statusCode()).isEqualTo(200);

        for (int i = 0; i < CONNECTIONS; i++) {
          byte[] data = Payloads.bytes(Payloads.seed("metrics-" + i), PAYLOAD);
          try (Socket s = new Socket(InetAddress.getLoopbackAddress(), localPort)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(data);
            s.shutdownOutput();
            assertThat(s.getInputStream().readAllBytes()).isEqualTo(data);
          }
        }
        long total = (long) CONNECTIONS * PAYLOAD;
        await().atMost(WAIT).untilAsserted(() -> {
          Map<String, Double> m = scrape(fwdMetrics);
          assertThat(m.get("hybridrelay_forward_connections_total{kind=\"local\"}")).isEqualTo((double) CONNECTIONS);
          assertThat(m.get("hybridrelay_forward_connections_total{kind=\"remote\"}")).isEqualTo((double) CONNECTIONS);
          assertThat(m.get("hybridrelay_forward_connections_active{kind=\"local\"}")).isEqualTo(0.0);
          assertThat(m.get("hybridrelay_forward_connections_active{kind=\"remote\"}")).isEqualTo(0.0);
          assertThat(m.get("hybridrelay_forward_failures_total{kind=\"local\"}")).isEqualTo(0.0);
          assertThat(m.get("hybridrelay_forward_bytes_total{direction=\"to_relay\",kind=\"local\"}")).isEqualTo((double) total);
          assertThat(m.get("hybridrelay_forward_bytes_total{direction=\"from_relay\",kind=\"local\"}")).isEqualTo((double) total);
          assertThat(m.get("hybridrelay_forward_bytes_total{direction=\"from_relay\",kind=\"remote\"}")).isEqualTo((double) total);
          assertThat(m.get("hybridrelay_forward_bytes_total{direction=\"to_relay\",kind=\"remote\"}")).isEqualTo((double) total);
          assertThat(m.get("hybridrelay_sender_connect_seconds_count{outcome=\"success\"}")).isEqualTo((double) CONNECTIONS);
          assertThat(m.get("hybridrelay_listeners_online")).isEqualTo(1.0);
          assertThat(m.get("hybridrelay_listener_reconnects_total")).isEqualTo(0.0);
        });
        // A refusal the relay counts by status: an upgrade to a hybrid connection that does not exist.
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + relayPort + "/$hc/no-such-hc"))
            .header("sb-hc-action", "connect").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isIn(400, 401, 404);
        await().atMost(WAIT).untilAsserted(() -> {
          Map<String, Double> m = scrape(relayMetrics);
          assertThat(m.get("hybridrelay_relay_connections_total")).isEqualTo((double) CONNECTIONS);
          assertThat(m.get("hybridrelay_relay_connections_open")).isEqualTo(0.0);
          assertThat(m.get("hybridrelay_relay_rendezvous_seconds_count")).isEqualTo((double) CONNECTIONS);
          assertThat(m.get("hybridrelay_relay_listeners")).isEqualTo(1.0);
          assertThat(m.get("hybridrelay_relay_listener_connects_total")).isEqualTo(1.0);
          // Payload plus the forwarders' preamble and reply (a few bytes per connection).
          assertThat(m.get("hybridrelay_relay_bytes_total{direction=\"sender_to_listener\"}"))
              .isBetween((double) total, total + CONNECTIONS * 1024.0);
          assertThat(m.get("hybridrelay_relay_bytes_total{direction=\"listener_to_sender\"}"))
              .isBetween((double) total, total + CONNECTIONS * 1024.0);
          assertThat(m.get("hybridrelay_relay_refusals_total{status=\"" + refused.statusCode() + "\"}"))
              .isEqualTo(1.0);
        });
        assertThat(get(relayMetrics, "/metrics").headers().firstValue("Content-Type").orElse(""))
            .startsWith("text/plain; version=0.0.4");

        // The relay goes away: the forwarder is not ready; it comes back: ready again.
        serve.process.destroy();
        assertThat(serve.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(WAIT).untilAsserted(() -> {
          HttpResponse<String> r = get(fwdMetrics, "/readyz");
          assertThat(r.statusCode()).isEqualTo(503);
          assertThat(r.body()).startsWith("{\"status\":\"not ready\",\"reasons\":[")
              .contains("listener for hybrid connection 'ops-hc' is not online");
        });
        assertThat(get(fwdMetrics, "/healthz").statusCode()).isEqualTo(200);
        try (CliProcess again = CliProcess.start(dir, "serve-again", null, serveArgs)) {
          int againMetrics = metricsPort(again);
          await().atMost(WAIT).untilAsserted(() -> assertThat(get(fwdMetrics, "/readyz").statusCode()).isEqualTo(200));
          Map<String, Double> m = scrape(fwdMetrics);
          assertThat(m.get("hybridrelay_listener_reconnects_total")).isGreaterThanOrEqualTo(1.0);
          assertThat(m.get("hybridrelay_listeners_online")).isEqualTo(1.0);
          assertThat(scrape(againMetrics).get("hybridrelay_relay_listeners")).isEqualTo(1.0);
        }
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void startEcho(ServerSocket server) {
    Thread t = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          Thread c = new Thread(() -> {
            try (s) {
              InputStream in = s.getInputStream();
              OutputStream out = s.getOutputStream();
              in.transferTo(out);
              s.shutdownOutput();
            } catch (IOException ignored) {
              // the client side asserts
            }
          }, "metrics-test-echo");
          c.setDaemon(true);
          c.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "metrics-test-echo-accept");
    t.setDaemon(true);
    t.start();
  }

  private static int metricsPort(CliProcess p) throws Exception {
    p.awaitStderr("Metrics and health on http://127.0.0.1:", WAIT);
    Matcher m = ENDPOINT.matcher(p.stderr());
    assertThat(m.find()).as("metrics address in %s", p.stderr()).isTrue();
    return Integer.parseInt(m.group(1));
  }

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Samples of a scrape by {@code name{labels}} as printed (labels in the exposition's order). */
  private Map<String, Double> scrape(int port) throws IOException, InterruptedException {
    HttpResponse<String> r = get(port, "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    Map<String, Double> samples = new HashMap<>();
    for (String line : r.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int sp = line.lastIndexOf(' ');
      samples.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
    }
    return samples;
  }
}
