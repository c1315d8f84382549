package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.server.LocalRelayExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Per-connection query parameters and headers of {@link RelaySender#connect(Duration, Map, Map)} reach
 * the listener's accept handler next to the builder's; listen-address parameters
 * ({@link RelayListener.Builder#queryParameter}) do not disturb the listener. Real local relay.
 */
@Timeout(60)
class PerConnectionExtrasTest {
  static final String KEY = "cGVyLWNvbm5lY3Rpb24tZXh0cmFzLWtleS0xMjM0NTY=";

  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.builder().rule("root", KEY).build();

  private String cs(String entity) {
    return "Endpoint=" + relay.server().endpoint() + ";SharedAccessKeyName=root;SharedAccessKey=" + KEY
        + ";EntityPath=" + entity + ";UseDevelopmentEmulator=true";
  }

  @Test
  void extrasReachTheAcceptHandler() throws Exception {
    CompletableFuture<RelayConnectionRequest> seen = new CompletableFuture<>();
    try (RelayListener listener = RelayListener.builder(cs("extras")).queryParameter("app-role", "edge")
        .acceptHandler(r -> {
          seen.complete(r);
          return true;
        }).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs("extras")).queryParameter("fixed", "1").header("X-Fixed", "f")
          .build();
      try (RelayConnection c = sender.connect(Duration.ofSeconds(30), Map.of("per", "a b"),
          Map.of("X-Per-Connection", "203.0.113.7:51544"))) {
        RelayConnectionRequest r = seen.get(30, TimeUnit.SECONDS);
        assertThat(r.queryParameters()).containsEntry("fixed", List.of("1")).containsEntry("per", List.of("a b"));
        assertThat(r.headers()).containsEntry("X-Fixed", "f").containsEntry("X-Per-Connection", "203.0.113.7:51544");
        assertThat(r.queryParameters().keySet()).noneMatch(k -> k.startsWith("sb-hc-"));
      }
    }
  }

  @Test
  void reservedNamesAndLineBreaksAreRefused() {
    RelaySender sender = RelaySender.builder(cs("extras")).build();
    assertThatThrownBy(() -> sender.connect(Duration.ofSeconds(1), Map.of("sb-hc-token", "x"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
    assertThatThrownBy(() -> sender.connect(Duration.ofSeconds(1), Map.of(), Map.of("X-A", "1\r\nX-B: 2")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CR or LF");
    assertThatThrownBy(() -> RelayListener.builder(cs("extras")).queryParameter("SB-HC-action", "connect"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
  }
}
