package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.core.RelayHttpSender;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.it.support.ChildJvm;
import dev.hybridrelay.it.support.RelayServerMain;
import dev.hybridrelay.it.support.Scenarios;
import dev.hybridrelay.testkit.Payloads;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * H1: HTTP request mode with large bodies. The relay runs in a child JVM with a bounded heap (exit on
 * OutOfMemoryError); a stock {@link HttpClient} uploads and downloads {@code size} bytes through it to
 * a {@code RelayRequestHandler} in this JVM. Both bodies stream (rendezvous form), SHA-256 compared.
 */
class HttpScenariosTest {

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void h1LargeBodiesCi() throws Exception {
    h1(128L << 20);
  }

  @Test
  @Tag("soak")
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void h1LargeBodiesSoak() throws Exception {
    h1(1L << 30);
  }

  private void h1(long size) throws Exception {
    long seed = Payloads.seed("H1");
    String key = dev.hybridrelay.server.LocalRelayServer.Builder.randomKey();
    List<String> jvm = List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError");
    try (ChildJvm relay = ChildJvm.start(RelayServerMain.class, "h1-relay.log", jvm, "0", key, "0")) {
      int port = Integer.parseInt(relay.awaitLine("RELAY PORT=", Duration.ofSeconds(30)));
      String cs = FaultScenariosTest.connectionString(port, key, "h1");
      try (RelayListener listener = RelayListener.builder(cs).requestHandler((req, res) -> {
        if (req.method().equals("GET")) {
          long n = Long.parseLong(req.path().substring(1));
          Payloads.write(res.body(), seed, n, Payloads.fixed(64 * 1024));
        } else {
          Payloads.Digest d = Payloads.read(req.body(), Payloads.fixed(64 * 1024));
          res.body().write((d.sha256Hex() + ":" + d.length()).getBytes(StandardCharsets.UTF_8));
        }
      }).build()) {
        listener.open();
        RelayHttpSender sender = RelayHttpSender.create(cs);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Payloads.Digest expected = Payloads.expected(seed, size);

        long t0 = System.nanoTime();
        HttpResponse<String> up = client.send(sender.newRequest("/up")
            .POST(HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> Payloads.stream(seed, size)), size))
            .build(), HttpResponse.BodyHandlers.ofString());
        double upSecs = (System.nanoTime() - t0) / 1e9;

        long t1 = System.nanoTime();
        HttpResponse<InputStream> down = client.send(sender.newRequest("/" + size).GET().build(),
            HttpResponse.BodyHandlers.ofInputStream());
        Payloads.Digest got;
        try (InputStream in = down.body()) {
          got = Payloads.read(in, Payloads.fixed(64 * 1024));
        }
        double downSecs = (System.nanoTime() - t1) / 1e9;

        boolean alive = relay.process().isAlive();
        long hwm = relay.procStatusKb("VmHWM") >> 10;
        java.nio.file.Path log = java.nio.file.Path.of("target", "h1-relay.log");
        boolean oom = java.nio.file.Files.exists(log)
            && java.nio.file.Files.readString(log).contains("OutOfMemoryError");
        boolean upOk = up.statusCode() == 200
            && up.body().equals(expected.sha256Hex() + ":" + size);
        boolean downOk = down.statusCode() == 200 && got.equals(expected);
        String figures = "bytes_each_way=" + size + " upload_intact=" + upOk + " download_intact=" + downOk
            + " upload_MBps=" + String.format("%.1f", size / upSecs / 1e6)
            + " download_MBps=" + String.format("%.1f", size / downSecs / 1e6)
            + " relay_xmx_MiB=256 oom=" + oom + " relay_alive=" + alive + " relay_peak_rss_MiB=" + hwm
            + " seed=" + seed;
        Scenarios.record("H1", upOk && downOk && !oom && alive ? "PASS" : "FAIL", figures);
        assertThat(upOk).as(figures).isTrue();
        assertThat(downOk).as(figures).isTrue();
        assertThat(oom).as(figures).isFalse();
        assertThat(alive).as(figures).isTrue();
      }
    }
  }
}
