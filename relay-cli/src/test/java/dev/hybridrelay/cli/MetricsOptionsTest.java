package dev.hybridrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code --metrics-port}/{@code --metrics-bind} errors, and the endpoint's answers besides the happy path. */
@Timeout(60)
class MetricsOptionsTest {
  @Test
  void badValuesAreUsageErrorsNamingTheOption() {
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(new String[0]);
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute("serve", "--port", "0", "--metrics-port", "70000")).isEqualTo(2);
    assertThat(err.toString()).contains("--metrics-port must be 0..65535, but was 70000");
    assertThat(cl.execute("serve", "--port", "0", "--metrics-port", "0", "--metrics-bind", "no-such-host.invalid"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--metrics-bind: unknown address 'no-such-host.invalid'");
  }

  @Test
  void aMetricsPortInUseStopsServeWithExitCode1() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      StringWriter err = new StringWriter();
      CommandLine cl = Main.commandLine(new String[0]);
      cl.setErr(new PrintWriter(err, true));
      assertThat(cl.execute("serve", "--port", "0", "--metrics-port", String.valueOf(taken.getLocalPort())))
          .isEqualTo(1);
      assertThat(err.toString()).contains("cannot serve metrics on 127.0.0.1:" + taken.getLocalPort()
          + " (--metrics-port)");
    }
  }

  @Test
  void serveIsNotReadyOnceItsRelayStopped() throws Exception {
    CommandLine cl = Main.commandLine(new String[0]);
    cl.setOut(new PrintWriter(new StringWriter(), true));
    ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
        () -> cl.execute("serve", "--port", "0", "--metrics-port", "0"));
    await().atMost(Duration.ofSeconds(30)).until(() -> serve.metricsEndpoint != null || exit.isDone());
    HttpClient http = HttpClient.newHttpClient();
    URI readyz = URI.create("http://127.0.0.1:" + serve.metricsEndpoint.port() + "/readyz");
    assertThat(http.send(HttpRequest.newBuilder(readyz).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
        .isEqualTo(200);
    serve.server.close();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(readyz).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("{\"status\":\"not ready\",\"reasons\":[\"the relay is not accepting "
        + "connections (stopping or stopped)\"]}\n");
    serve.stop.countDown();
    assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void readinessReasonsAreJsonAndOtherRequestsGetJsonErrors() throws Exception {
    AtomicReference<List<String>> reasons = new AtomicReference<>(List.of("listener for hybrid connection 'a\"b' is not online",
        "local forward to hybrid connection 'c' is not bound"));
    try (MetricsEndpoint e = MetricsEndpoint.start(InetAddress.getLoopbackAddress(), 0, MetricsEndpoint.newRegistry(),
        hcs -> reasons.get())) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + e.port();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).isEqualTo("{\"status\":\"not ready\",\"reasons\":[\"listener for hybrid connection "
          + "'a\\\"b' is not online\",\"local forward to hybrid connection 'c' is not bound\"]}\n");
      reasons.set(List.of());
      r = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"status\":\"ready\"}\n");
      // a parameter /readyz does not know is refused, not ignored: a mistyped health check would pass
      r = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz?verbose")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body()).isEqualTo("{\"status\":\"error\",\"message\":\"unknown parameter 'verbose'; /readyz takes hc=NAME\"}\n");
      r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).POST(HttpRequest.BodyPublishers.noBody())
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(405);
      assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
      r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).method("HEAD",
          HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEmpty();
      r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.body()).contains("# TYPE jvm_threads_live_threads gauge");
    }
  }
}
