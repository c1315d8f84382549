package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import dev.hybridrelay.server.testing.WsClient;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShutdownTest {

  static long relayThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("hybridrelay-server-") && t.isAlive())
        .peek(t -> assertThat(t.isDaemon()).as(t.getName()).isTrue())
        .count();
  }

  @Test
  void gracefulShutdownClosesListenersWith1001AndGivesRelayedConnectionsTheGracePeriod() throws Exception {
    RelayFixture relay = RelayFixture.start(false, b -> b.shutdownGracePeriod(Duration.ofMillis(1500)));
    TestListener l = relay.listen("graceful");
    WsClient sender = relay.sender("graceful", RelayFixture.auth(RelayFixture.token("graceful")));
    sender.connect();
    WsClient accepted = l.accept(l.nextAccept(5000), Map.of());
    assertThat(sender.awaitOpen(5000)).isTrue();
    assertThat(relayThreads()).isPositive();

    long start = System.nanoTime();
    Thread closer = new Thread(relay::close);
    closer.start();
    WsClient.Closed controlClosed = l.control.awaitClosed(5000);
    assertThat(controlClosed.code()).isEqualTo(1001);

    // In-flight connection still works during the grace period...
    sender.send("during grace");
    assertThat(accepted.nextMessage(2000).asText()).isEqualTo("during grace");
    // ...new connections are refused...
    WsClient late = WsClient.open(relay.uri("/$hc/graceful?sb-hc-action=listen"),
        RelayFixture.auth(RelayFixture.token("graceful")), null);
    assertThat(late.isOpen()).isFalse();
    // ...and it is aborted (not closed normally) when the grace period ends.
    assertThat(sender.awaitClosed(5000).code()).isNotEqualTo(1000);
    closer.join(5000);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1500 + 3000));
    await().atMost(Duration.ofSeconds(5)).until(() -> relayThreads() == 0);
    relay.close(); // idempotent
  }

  @Test
  void connectionsThatFinishEarlyLetShutdownReturnEarly() throws Exception {
    RelayFixture relay = RelayFixture.start(false, b -> b.shutdownGracePeriod(Duration.ofSeconds(30)));
    long start = System.nanoTime();
    relay.close();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void portInUseIsReportedClearly() throws Exception {
    try (RelayFixture first = RelayFixture.start(false)) {
      LocalRelayServer second = LocalRelayServer.builder().port(first.server.port()).build();
      assertThatThrownBy(second::start)
          .isInstanceOf(IOException.class)
          .hasMessageContaining(String.valueOf(first.server.port()))
          .hasMessageContaining("already in use");
      second.close();
    }
  }

  @Test
  void connectionStringsDescribeTheServer() throws Exception {
    try (LocalRelayServer plain = LocalRelayServer.builder().rule("r1", "k1").build().start()) {
      assertThat(plain.connectionString()).isEqualTo("Endpoint=sb://localhost:" + plain.port()
          + "/;SharedAccessKeyName=r1;SharedAccessKey=k1;UseDevelopmentEmulator=true");
      assertThat(plain.connectionString("r1", "orders")).isEqualTo("Endpoint=sb://localhost:"
          + plain.port() + "/;SharedAccessKeyName=r1;SharedAccessKey=k1;EntityPath=orders;UseDevelopmentEmulator=true");
      assertThat(plain.endpoint().toString()).isEqualTo("sb://localhost:" + plain.port() + "/");
      assertThat(plain.isTls()).isFalse();
      assertThatThrownBy(() -> plain.connectionString("nope")).isInstanceOf(IllegalArgumentException.class);
    }
    try (LocalRelayServer defaults = LocalRelayServer.builder().build().start()) {
      assertThat(defaults.connectionString())
          .matches("Endpoint=sb://localhost:\\d+/;SharedAccessKeyName=RootManageSharedAccessKey;"
              + "SharedAccessKey=[A-Za-z0-9+/]{43}=;UseDevelopmentEmulator=true");
    }
  }

  @Test
  void builderRejectsBadValuesWithTheValue() {
    assertThatThrownBy(() -> LocalRelayServer.builder().port(70000)).hasMessageContaining("70000");
    assertThatThrownBy(() -> LocalRelayServer.builder().hybridConnection("/bad")).hasMessageContaining("/bad");
    assertThatThrownBy(() -> LocalRelayServer.builder().rule("ok", "")).hasMessageContaining("key");
    assertThatThrownBy(() -> LocalRelayServer.builder().acceptTimeout(Duration.ZERO))
        .hasMessageContaining("acceptTimeout");
  }
}
