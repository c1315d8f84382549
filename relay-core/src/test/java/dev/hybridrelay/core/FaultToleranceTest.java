package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.server.LocalRelayServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Relay restarts, recycled and black-holed control channels, token expiry and renewal. */
@SuppressWarnings("try") // resources closed explicitly on purpose, or only for cleanup
@Timeout(90)
class FaultToleranceTest {
  private static final Logger log = LoggerFactory.getLogger(FaultToleranceTest.class);
  static final String KEY = "ZmF1bHQtdG9sZXJhbmNlLWtleS1mb3ItdGVzdHMtMTI=";

  private static LocalRelayServer relay(int port) throws Exception {
    return LocalRelayServer.builder().port(port).autoCreate(true).rule("root", KEY)
        .tokenClockSkew(Duration.ZERO).shutdownGracePeriod(Duration.ZERO)
        .keepAliveInterval(Duration.ofSeconds(1)).build().start();
  }

  private static String cs(int port, String entity) {
    return "Endpoint=sb://localhost:" + port + "/;SharedAccessKeyName=root;SharedAccessKey=" + KEY
        + ";EntityPath=" + entity + ";UseDevelopmentEmulator=true";
  }

  @Test
  void listenerIsBackOnlineWithinSecondsAfterTheRelayRestarts() throws Exception {
    LocalRelayServer relay = relay(0);
    int port = relay.port();
    RecordingEvents events = new RecordingEvents();
    try (RelayListener listener = RelayListener.builder(cs(port, "restart")).events(events).build()) {
      listener.open();
      relay.shutdown(Duration.ZERO);
      await().atMost(Duration.ofSeconds(5)).until(() -> listener.state() == ListenerState.CONNECTING);
      Thread.sleep(1_000); // the relay stays down for a while; reconnect attempts fail meanwhile
      Instant restarted = Instant.now();
      relay = relay(port);
      await().atMost(Duration.ofSeconds(10)).until(listener::isOnline);
      long ms = Duration.between(restarted, Instant.now()).toMillis();
      log.info("listener back online {} ms after the relay restarted", ms);
      assertThat(ms).isLessThan(6_000);
      await().atMost(Duration.ofSeconds(2)).until(() -> events.events.size() >= 4);
      assertThat(events.snapshot()).containsExactly("connecting", "online", "connecting", "online");
      assertThat(events.causes.get(2)).isNotNull();
      // and it serves senders again
      try (RelayConnection s = RelaySender.builder(cs(port, "restart")).build().connect();
          RelayConnection l = listener.accept(Duration.ofSeconds(5))) {
        s.getOutputStream().write(7);
        assertThat(l.getInputStream().read()).isEqualTo(7);
      }
    } finally {
      relay.shutdown(Duration.ZERO);
    }
  }

  @Test
  void recycledControlChannelReconnectsImmediately() throws Exception {
    LocalRelayServer relay = relay(0);
    RecordingEvents events = new RecordingEvents();
    try (RelayListener listener = RelayListener.builder(cs(relay.port(), "recycle")).events(events).build()) {
      listener.open();
      // the relay registers a listener just after answering its handshake
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.listenerCount("recycle") == 1);
      long t0 = System.nanoTime();
      relay.dropControlChannels(1001, "recycle");
      await().atMost(Duration.ofSeconds(5)).until(() -> events.events.size() >= 4);
      log.info("back online {} ms after the recycle", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      assertThat(events.snapshot()).containsExactly("connecting", "online", "connecting", "online");
      assertThat(events.causes.get(2)).hasMessageContaining("1001");
    } finally {
      relay.shutdown(Duration.ZERO);
    }
  }

  @Test
  void keepAliveDetectsABlackholedControlChannel() throws Exception {
    LocalRelayServer relay = relay(0);
    RecordingEvents events = new RecordingEvents();
    try (BlackholeProxy proxy = new BlackholeProxy(new InetSocketAddress("127.0.0.1", relay.port()));
        RelayListener listener = RelayListener.builder(cs(proxy.port(), "silent"))
            .keepAliveInterval(Duration.ofMillis(300)).events(events).build()) {
      listener.open();
      Thread.sleep(1_000); // pings are answered: no false alarm
      assertThat(events.snapshot()).containsExactly("connecting", "online");
      long t0 = System.nanoTime();
      proxy.blackholeExisting();
      await().atMost(Duration.ofSeconds(5)).until(() -> events.events.size() >= 4);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      log.info("black-holed control channel detected and replaced in {} ms", ms);
      assertThat(events.snapshot()).containsExactly("connecting", "online", "connecting", "online");
      assertThat(events.causes.get(2)).hasMessageContaining("keep-alive");
      assertThat(ms).isLessThan(3_000);
      // the relay's own keep-alive drops the dead registration: no duplicate is left behind
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.listenerCount("silent") == 1);
      // the replacement channel works: a sender reaches this listener
      try (RelayConnection s = RelaySender.builder(cs(relay.port(), "silent")).build().connect();
          RelayConnection l = listener.accept(Duration.ofSeconds(5))) {
        s.getOutputStream().write(9);
        assertThat(l.getInputStream().read()).isEqualTo(9);
      }
    } finally {
      relay.shutdown(Duration.ZERO);
    }
  }

  @Test
  void keepAliveFailsAReadOnABlackholedDataConnection() throws Exception {
    LocalRelayServer relay = relay(0);
    try (BlackholeProxy proxy = new BlackholeProxy(new InetSocketAddress("127.0.0.1", relay.port()));
        RelayListener listener = RelayListener.builder(cs(relay.port(), "silentdata")).build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs(proxy.port(), "silentdata"))
          .keepAliveInterval(Duration.ofMillis(300)).build();
      try (RelayConnection s = sender.connect(); RelayConnection l = listener.accept(Duration.ofSeconds(5))) {
        Thread.sleep(1_000);
        assertThat(s.isClosed()).isFalse();
        proxy.blackholeExisting();
        long t0 = System.nanoTime();
        InputStream in = s.getInputStream();
        assertThatThrownBy(in::read).isInstanceOf(SocketException.class).hasMessageContaining("keep-alive");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3_000);
      }
    } finally {
      relay.shutdown(Duration.ZERO);
    }
  }

  @Test
  void tokenIsRenewedOnALongLivedListener() throws Exception {
    LocalRelayServer relay = relay(0);
    RecordingEvents events = new RecordingEvents();
    try (RelayListener listener = RelayListener.builder(cs(relay.port(), "renew"))
        .tokenValidity(Duration.ofSeconds(3)).events(events).build()) {
      listener.open();
      Thread.sleep(10_000); // more than three token lifetimes; the relay enforces expiry with no skew
      assertThat(events.snapshot()).containsExactly("connecting", "online");
      assertThat(listener.isOnline()).isTrue();
      try (RelayConnection s = RelaySender.builder(cs(relay.port(), "renew")).build().connect();
          RelayConnection l = listener.accept(Duration.ofSeconds(5))) {
        s.getOutputStream().write(5);
        assertThat(l.getInputStream().read()).isEqualTo(5);
      }
    } finally {
      relay.shutdown(Duration.ZERO);
    }
  }

  @Test
  void withoutRenewalTheRelayDropsTheListenerAnd401IsPermanent() throws Exception {
    LocalRelayServer relay = relay(0);
    RecordingEvents events = new RecordingEvents();
    long se = Instant.now().getEpochSecond() + 3;
    String fixed = SharedAccessSignatureTokenProvider.createToken("root", KEY, "http://localhost/fixed/", se);
    String cs = "Endpoint=sb://localhost:" + relay.port() + "/;SharedAccessSignature=" + fixed
        + ";EntityPath=fixed;UseDevelopmentEmulator=true";
    try (RelayListener listener = RelayListener.builder(cs).events(events).build()) {
      listener.open();
      await().atMost(Duration.ofSeconds(15)).until(() -> listener.state() == ListenerState.OFFLINE);
      await().atMost(Duration.ofSeconds(2)).until(() -> events.events.contains("offline"));
      // The relay drops the channel at expiry (1008); the listener reconnects at once, and once the
      // relay refuses the token (401) it goes offline for good instead of retrying forever.
      java.util.List<String> seen = events.snapshot();
      assertThat(seen.subList(0, 3)).containsExactly("connecting", "online", "connecting");
      assertThat(seen.get(seen.size() - 1)).isEqualTo("offline");
      assertThat(events.causes.get(2)).hasMessageContaining("1008");
      assertThat(events.causes.get(seen.size() - 1)).isInstanceOfSatisfying(RelayAuthorizationException.class,
          e -> assertThat(e.statusCode()).isEqualTo(401));
      assertThat(listener.lastError()).isInstanceOf(RelayAuthorizationException.class);
      assertThatThrownBy(listener::accept).isInstanceOf(SocketException.class).hasMessageContaining("offline");
    } finally {
      relay.shutdown(Duration.ZERO);
    }
  }
}
