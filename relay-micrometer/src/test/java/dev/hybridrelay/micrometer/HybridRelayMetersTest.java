package dev.hybridrelay.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.core.RelayConnectException;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayHttpSender;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.testkit.Payloads;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The meters against the real local relay with a real listener and sender: each counter moves by
 * exactly the traffic, gauges follow the levels, and the Prometheus scrape has the documented names.
 */
@Timeout(120)
class HybridRelayMetersTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int CONNECTIONS = 3;
  private static final int PAYLOAD = 10_000;

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final RelayClientMeters clients = RelayClientMeters.bind(registry);
  private LocalRelayServer relay;
  private RelayListener listener;

  @BeforeEach
  void start() throws Exception {
    relay = LocalRelayServer.builder().autoCreate(true).metrics(RelayServerMeters.bind(registry)).build().start();
    listener = RelayListener.builder(relay.connectionString(LocalRelayServer.DEFAULT_RULE_NAME, "meters"))
        .metrics(clients)
        .connectionHandler(HybridRelayMetersTest::echo)
        .requestHandler((req, res) -> res.setStatus(req.path().endsWith("/missing") ? 404 : 201))
        .build();
    listener.open();
  }

  @AfterEach
  void stop() throws Exception {
    listener.close();
    relay.shutdown(Duration.ofSeconds(1));
  }

  private static void echo(RelayConnection c) {
    try (c) {
      c.getInputStream().transferTo(c.getOutputStream());
    } catch (Exception ignored) {
      // the sender side asserts
    }
  }

  @Test
  void countersMoveByExactlyTheTraffic() throws Exception {
    String cs = relay.connectionString(LocalRelayServer.DEFAULT_RULE_NAME, "meters");
    RelaySender sender = RelaySender.builder(cs).metrics(clients).build();
    for (int i = 0; i < CONNECTIONS; i++) {
      byte[] data = Payloads.bytes(Payloads.seed("meters-" + i), PAYLOAD);
      try (RelayConnection c = sender.connect()) {
        c.getOutputStream().write(data);
        c.shutdownOutput();
        InputStream in = c.getInputStream();
        assertThat(in.readAllBytes()).isEqualTo(data);
      }
    }
    RelaySender nowhere = RelaySender.builder(relay.connectionString(LocalRelayServer.DEFAULT_RULE_NAME, "nowhere"))
        .metrics(clients).build();
    assertThatThrownBy(nowhere::connect).isInstanceOf(RelayConnectException.class);

    RelayHttpSender web = RelayHttpSender.create(cs);
    HttpClient http = HttpClient.newHttpClient();
    assertThat(http.send(web.newRequest("/a").build(), HttpResponse.BodyHandlers.discarding()).statusCode())
        .isEqualTo(201);
    assertThat(http.send(web.newRequest("/missing").build(), HttpResponse.BodyHandlers.discarding()).statusCode())
        .isEqualTo(404);

    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(count(registry, "hybridrelay.relay.connections")).isEqualTo(CONNECTIONS);
      assertThat(registry.get("hybridrelay.relay.connections.open").gauge().value()).isZero();
      assertThat(registry.get("hybridrelay.relay.rendezvous").timer().count()).isEqualTo(CONNECTIONS);
      assertThat(registry.get("hybridrelay.relay.bytes").tag("direction", "sender_to_listener").functionCounter()
          .count()).isEqualTo((double) CONNECTIONS * PAYLOAD);
      assertThat(registry.get("hybridrelay.relay.bytes").tag("direction", "listener_to_sender").functionCounter()
          .count()).isEqualTo((double) CONNECTIONS * PAYLOAD);
      assertThat(registry.get("hybridrelay.relay.refusals").tag("status", "404").counter().count()).isEqualTo(1);
      assertThat(registry.get("hybridrelay.relay.http.requests").tag("status", "201").counter().count()).isEqualTo(1);
      assertThat(registry.get("hybridrelay.relay.http.requests").tag("status", "404").counter().count()).isEqualTo(1);
      assertThat(registry.get("hybridrelay.relay.listeners").gauge().value()).isEqualTo(1);
      assertThat(count(registry, "hybridrelay.relay.listener.connects")).isEqualTo(1);
      assertThat(registry.get("hybridrelay.sender.connect").tag("outcome", "success").timer().count())
          .isEqualTo(CONNECTIONS);
      assertThat(registry.get("hybridrelay.sender.connect").tag("outcome", "failure").timer().count()).isEqualTo(1);
      assertThat(registry.get("hybridrelay.sender.refusals").tag("status", "404").counter().count()).isEqualTo(1);
      assertThat(registry.get("hybridrelay.listeners.online").gauge().value()).isEqualTo(1);
    });

    String scrape = registry.scrape();
    assertThat(scrape)
        .contains("hybridrelay_relay_connections_total " + (double) CONNECTIONS)
        .contains("hybridrelay_relay_bytes_total{direction=\"sender_to_listener\"} " + (double) CONNECTIONS * PAYLOAD)
        .contains("hybridrelay_relay_rendezvous_seconds_count " + CONNECTIONS)
        .contains("hybridrelay_relay_rendezvous_seconds_bucket{le=\"+Inf\"} " + CONNECTIONS)
        .contains("hybridrelay_sender_connect_seconds_count{outcome=\"success\"} " + CONNECTIONS)
        .doesNotContain("meters").doesNotContain("nowhere").doesNotContain("SharedAccess");
  }

  @Test
  void listenerGaugesFollowTheControlChannel() throws Exception {
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(registry.get("hybridrelay.listeners.online").gauge().value()).isEqualTo(1);
      assertThat(registry.get("hybridrelay.relay.listeners").gauge().value()).isEqualTo(1);
    });
    relay.dropControlChannels(1001, "recycle");
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(count(registry, "hybridrelay.listener.reconnects")).isEqualTo(1);
      assertThat(count(registry, "hybridrelay.relay.listener.connects")).isEqualTo(2);
      assertThat(registry.get("hybridrelay.listeners.online").gauge().value()).isEqualTo(1);
    });
    listener.close();
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(registry.get("hybridrelay.listeners.online").gauge().value()).isZero();
      assertThat(registry.get("hybridrelay.relay.listeners").gauge().value()).isZero();
    });
  }

  private static double count(MeterRegistry registry, String name) {
    return registry.get(name).functionCounter().count();
  }
}
