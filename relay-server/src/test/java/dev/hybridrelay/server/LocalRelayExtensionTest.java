package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.SasTokens;
import dev.hybridrelay.server.testing.WsClient;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LocalRelayExtensionTest {
  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.builder()
      .rule("test-rule", "dGVzdC1rZXk=")
      .configure(b -> b.acceptTimeout(Duration.ofSeconds(2)))
      .build();

  @Test
  void providesAConnectionStringAndAutoCreatesHybridConnections() {
    String cs = relay.connectionString("orders");
    assertThat(cs).startsWith("Endpoint=sb://localhost:" + relay.server().port() + "/;")
        .contains(";SharedAccessKeyName=test-rule;SharedAccessKey=dGVzdC1rZXk=;EntityPath=orders")
        .endsWith(";UseDevelopmentEmulator=true");
    String token = SasTokens.forPath("test-rule", "dGVzdC1rZXk=", "localhost", "orders", 600);
    WsClient listener = WsClient.open(URI.create("ws://localhost:" + relay.server().port()
        + "/$hc/orders?sb-hc-action=listen"), RelayFixture.auth(token), null);
    assertThat(listener.isOpen()).isTrue();
    assertThat(relay.server().listenerCount("orders")).isEqualTo(1);
    listener.close();
  }

  @Test
  void theSameServerServesTheWholeClass() {
    assertThat(relay.server().port()).isPositive();
    assertThat(relay.connectionString()).doesNotContain("EntityPath");
    assertThat(Map.of()).isEmpty();
  }
}
