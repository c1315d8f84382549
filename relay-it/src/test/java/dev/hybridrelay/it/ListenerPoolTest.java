package dev.hybridrelay.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.core.ListenerState;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelayListenerEvents;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.it.support.RelayFixture;
import dev.hybridrelay.it.support.ReverseProxy;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A listener registered with several independent local relays ({@code RelayListener.Builder.endpoints}):
 * one registration per node, each lost and re-made on its own, the listener online while one is.
 */
class ListenerPoolTest {
  private static final String HC = "pool";

  private static LocalRelayServer node(int port, String key) throws IOException {
    return LocalRelayServer.builder().port(port).autoCreate(true).rule(RelayFixture.RULE, key).build().start();
  }

  private static String cs(int port, String key) {
    return "Endpoint=sb://localhost:" + port + "/;SharedAccessKeyName=" + RelayFixture.RULE + ";SharedAccessKey="
        + key + ";EntityPath=" + HC + ";UseDevelopmentEmulator=true";
  }

  /** Records the listener's and each node's events. */
  static final class Events implements RelayListenerEvents {
    final List<String> log = new CopyOnWriteArrayList<>();

    @Override
    public void onConnecting(Throwable cause) {
      log.add("connecting" + (cause == null ? "" : "(lost)"));
    }

    @Override
    public void onOnline() {
      log.add("online");
    }

    @Override
    public void onOffline(Throwable cause) {
      log.add("offline");
    }

    @Override
    public void onRegistrationChanged(URI endpoint, ListenerState state, Throwable cause) {
      log.add(endpoint.getPort() + ":" + state);
    }
  }

  /** The state of the registration with the node on {@code port}. */
  private static ListenerState state(RelayListener listener, int port) {
    return listener.registrations().entrySet().stream().filter(e -> e.getKey().getPort() == port)
        .map(java.util.Map.Entry::getValue).findFirst().orElseThrow();
  }

  /** One byte from a sender on {@code senderCs} reaches the listener and comes back. */
  private static void roundTrip(String senderCs, RelayListener listener) throws Exception {
    CompletableFuture<RelayConnection> acc = CompletableFuture.supplyAsync(() -> {
      try {
        return listener.accept(Duration.ofSeconds(20));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    RelaySender sender = RelaySender.builder(senderCs).connectTimeout(Duration.ofSeconds(20)).build();
    try (RelayConnection s = sender.connect(); RelayConnection l = acc.get(30, TimeUnit.SECONDS)) {
      s.getOutputStream().write(7);
      s.getOutputStream().flush();
      assertThat(l.getInputStream().read()).isEqualTo(7);
      l.getOutputStream().write(8);
      l.getOutputStream().flush();
      assertThat(s.getInputStream().read()).isEqualTo(8);
    }
  }

  @Test
  @Timeout(120)
  void registersWithEveryNodeAndSurvivesTheLossOfOne() throws Exception {
    String key = LocalRelayServer.Builder.randomKey();
    LocalRelayServer n1 = node(0, key);
    LocalRelayServer n2 = node(0, key);
    int p1 = n1.port();
    int p2 = n2.port();
    Events ev = new Events();
    try (RelayListener listener = RelayListener.builder(cs(p1, key))
        .endpoints(List.of("sb://localhost:" + p1, "sb://localhost:" + p2)).events(ev)
        .keepAliveInterval(Duration.ofSeconds(2)).build()) {
      listener.open();
      await().atMost(Duration.ofSeconds(30)).until(() -> n1.listenerCount(HC) == 1 && n2.listenerCount(HC) == 1);
      assertThat(listener.registrations().values()).containsOnly(ListenerState.ONLINE);
      roundTrip(cs(p1, key), listener);
      roundTrip(cs(p2, key), listener);

      n1.close();
      await().atMost(Duration.ofSeconds(30)).until(() -> state(listener, p1) == ListenerState.CONNECTING);
      assertThat(listener.state()).isEqualTo(ListenerState.ONLINE);
      roundTrip(cs(p2, key), listener);

      LocalRelayServer back = node(p1, key);
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> back.listenerCount(HC) == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.registrations().values().stream()
            .allMatch(s -> s == ListenerState.ONLINE));
        roundTrip(cs(p1, key), listener);
        assertThat(n2.listenerCount(HC)).isEqualTo(1);
      } finally {
        back.close();
      }
      assertThat(ev.log).startsWith("connecting").contains(p1 + ":CONNECTING", p1 + ":ONLINE", p2 + ":ONLINE")
          .doesNotContain("connecting(lost)", "offline");
    } finally {
      n2.close();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> ev.log.contains("offline"));
  }

  @Test
  @Timeout(120)
  void opensWhileANodeIsDownAndRegistersWhenItComes() throws Exception {
    String key = LocalRelayServer.Builder.randomKey();
    int p1 = ReverseProxy.freePort();
    LocalRelayServer n2 = node(0, key);
    try (RelayListener listener = RelayListener.builder(cs(n2.port(), key))
        .endpoints(List.of("sb://localhost:" + p1, "sb://localhost:" + n2.port()))
        .registrationRetryInterval(Duration.ofMillis(300)).build()) {
      listener.open();
      assertThat(listener.isOnline()).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> state(listener, p1) == ListenerState.CONNECTING);
      LocalRelayServer n1 = node(p1, key);
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> n1.listenerCount(HC) == 1);
        roundTrip(cs(p1, key), listener);
      } finally {
        n1.close();
      }
    } finally {
      n2.close();
    }
  }

  @Test
  @Timeout(120)
  void aNodeThatRefusesTheCredentialsStaysOfflineTheOthersServe() throws Exception {
    String key = LocalRelayServer.Builder.randomKey();
    LocalRelayServer good = node(0, key);
    LocalRelayServer other = node(0, LocalRelayServer.Builder.randomKey());
    Events ev = new Events();
    try (RelayListener listener = RelayListener.builder(cs(good.port(), key))
        .endpoints(List.of("sb://localhost:" + other.port(), "sb://localhost:" + good.port())).events(ev).build()) {
      listener.open();
      await().atMost(Duration.ofSeconds(30)).until(() -> state(listener, other.port()) == ListenerState.OFFLINE);
      assertThat(listener.state()).isEqualTo(ListenerState.ONLINE);
      roundTrip(cs(good.port(), key), listener);
      assertThat(ev.log).contains(other.port() + ":OFFLINE").doesNotContain("offline");
    } finally {
      good.close();
      other.close();
    }
  }

  @Test
  @Timeout(120)
  void openFailsWhenNoNodeIsReachable() throws Exception {
    int p1 = ReverseProxy.freePort();
    int p2 = ReverseProxy.freePort();
    String key = LocalRelayServer.Builder.randomKey();
    try (RelayListener listener = RelayListener.builder(cs(p1, key))
        .endpoints(List.of("sb://localhost:" + p1, "sb://localhost:" + p2)).build()) {
      assertThatThrownBy(listener::open).isInstanceOf(IOException.class);
      assertThat(listener.state()).isEqualTo(ListenerState.OFFLINE);
      assertThatThrownBy(() -> listener.accept(Duration.ofSeconds(1))).isInstanceOf(java.net.SocketException.class)
          .hasMessageContaining("offline");
    }
  }

  @Test
  void badEndpointListsAreRefusedWithTheReason() {
    String cs = cs(9, "k");
    assertThatThrownBy(() -> RelayListener.builder(cs).endpoints(List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
    assertThatThrownBy(() -> RelayListener.builder(cs).endpoints(List.of("sb://a:1", "sb://a:1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
  }
}
