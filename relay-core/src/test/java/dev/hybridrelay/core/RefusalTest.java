package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.server.AccessRights;
import dev.hybridrelay.server.LocalRelayExtension;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Handshake refusals reach the caller as typed exceptions with status, description and tracking id. */
@Timeout(60)
class RefusalTest {
  static final String KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY=";
  static final String SEND_KEY = "c2VuZC1vbmx5LWtleS1mb3ItdGVzdHMtMTIzNDU2Nzg=";

  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.builder()
      .configure(b -> b.autoCreate(false).acceptTimeout(Duration.ofSeconds(2)))
      .rule("root", KEY)
      .rule("sendonly", SEND_KEY, AccessRights.SEND)
      .hybridConnection("known", true)
      .hybridConnection("reject", true)
      .hybridConnection("slow", true)
      .hybridConnection("nolistener", true)
      .build();

  private String cs(String rule, String key, String entity) {
    return "Endpoint=" + relay.server().endpoint() + ";SharedAccessKeyName=" + rule + ";SharedAccessKey=" + key
        + ";EntityPath=" + entity + ";UseDevelopmentEmulator=true";
  }

  @Test
  void listenerOnUnknownHybridConnectionFailsFastWith404() {
    RelayListener listener = RelayListener.builder(cs("root", KEY, "nosuch")).build();
    try (listener) {
      assertThatThrownBy(listener::open)
          .isInstanceOfSatisfying(RelayConnectException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(404);
            assertThat(e.statusDescription()).contains("does not exist");
            assertThat(e.trackingId()).startsWith(listener.trackingId());
            assertThat(e.isTransient()).isTrue();
          });
      assertThat(listener.state()).isEqualTo(ListenerState.OFFLINE);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void wrongKeyIs401AndNeverEchoesTheKey() throws Exception {
    String wrong = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktMTI=";
    try (RelayListener listener = RelayListener.builder(cs("root", wrong, "known")).build()) {
      assertThatThrownBy(listener::open)
          .isInstanceOfSatisfying(RelayAuthorizationException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(401);
            assertThat(e.isTransient()).isFalse();
            assertThat(e.getMessage()).doesNotContain(wrong).doesNotContain("sig=");
          });
    }
    RelaySender sender = RelaySender.builder(cs("root", wrong, "known")).build();
    assertThatThrownBy(sender::connect).isInstanceOfSatisfying(RelayAuthorizationException.class,
        e -> assertThat(e.statusCode()).isEqualTo(401));
  }

  @Test
  void sendOnlyRuleCannotListen403() throws Exception {
    try (RelayListener listener = RelayListener.builder(cs("sendonly", SEND_KEY, "known")).build()) {
      assertThatThrownBy(listener::open)
          .isInstanceOfSatisfying(RelayAuthorizationException.class, e -> assertThat(e.statusCode()).isEqualTo(403));
    }
  }

  @Test
  void senderWithoutListenerGets404WithTrackingId() {
    RelaySender sender = RelaySender.builder(cs("sendonly", SEND_KEY, "nolistener")).build();
    long t0 = System.nanoTime();
    assertThatThrownBy(sender::connect)
        .isInstanceOfSatisfying(RelayConnectException.class, e -> {
          assertThat(e.statusCode()).isEqualTo(404);
          assertThat(e.trackingId()).isNotBlank();
          assertThat(e.getMessage()).startsWith("404 ");
        });
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5_000);
  }

  @Test
  void listenerRejectionStatusAndDescriptionReachTheSender() throws Exception {
    try (RelayListener listener = RelayListener.builder(cs("root", KEY, "reject"))
        .acceptHandler(req -> {
          String mode = req.queryParameters().getOrDefault("mode", java.util.List.of("")).get(0);
          switch (mode) {
            case "custom":
              req.reject(403, "Nope, not you");
              return false;
            case "throw":
              throw new IllegalStateException("handler bug");
            default:
              return false;
          }
        })
        .build()) {
      listener.open();
      RelaySender custom = RelaySender.builder(cs("sendonly", SEND_KEY, "reject")).queryParameter("mode", "custom").build();
      assertThatThrownBy(custom::connect).isInstanceOfSatisfying(RelayAuthorizationException.class, e -> {
        assertThat(e.statusCode()).isEqualTo(403);
        assertThat(e.statusDescription()).isEqualTo("Nope, not you");
      });
      RelaySender plain = RelaySender.builder(cs("sendonly", SEND_KEY, "reject")).build();
      assertThatThrownBy(plain::connect).isInstanceOfSatisfying(RelayConnectException.class, e -> {
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.statusDescription()).isEqualTo("Rejected by user code");
      });
      RelaySender failing = RelaySender.builder(cs("sendonly", SEND_KEY, "reject")).queryParameter("mode", "throw").build();
      assertThatThrownBy(failing::connect).isInstanceOfSatisfying(RelayConnectException.class,
          e -> assertThat(e.statusCode()).isEqualTo(502));
    }
  }

  @Test
  void listenerThatNeverDecidesGivesTheSenderATimeout() throws Exception {
    try (RelayListener listener = RelayListener.builder(cs("root", KEY, "slow"))
        .acceptHandler(req -> {
          Thread.sleep(4_000);
          return true;
        })
        .build()) {
      listener.open();
      RelaySender sender = RelaySender.builder(cs("sendonly", SEND_KEY, "slow")).build();
      assertThatThrownBy(sender::connect).isInstanceOfSatisfying(RelayTimeoutException.class, e -> {
        assertThat(e.statusCode()).isIn(408, 504);
        assertThat(e.trackingId()).isNotBlank();
      });
    }
  }

  @Test
  void localConnectTimeoutWhenTheRelayNeverAnswers() throws Exception {
    try (ServerSocket silent = new ServerSocket(0)) {
      String cs = "Endpoint=sb://127.0.0.1:" + silent.getLocalPort() + "/;SharedAccessKeyName=root;SharedAccessKey=" + KEY
          + ";EntityPath=known;UseDevelopmentEmulator=true";
      RelaySender sender = RelaySender.builder(cs).build();
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> sender.connect(Duration.ofMillis(500)))
          .isInstanceOfSatisfying(RelayTimeoutException.class, e -> assertThat(e.statusCode()).isZero());
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(400L, 3_000L);
      try (RelayListener listener = RelayListener.builder(cs).operationTimeout(Duration.ofMillis(500)).build()) {
        assertThatThrownBy(listener::open).isInstanceOf(RelayTimeoutException.class);
      }
    }
  }

  @Test
  void connectionRefusedFailsFast() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String cs = "Endpoint=sb://127.0.0.1:" + port + "/;SharedAccessKeyName=root;SharedAccessKey=" + KEY
        + ";EntityPath=known;UseDevelopmentEmulator=true";
    try (RelayListener listener = RelayListener.builder(cs).build()) {
      assertThatThrownBy(listener::open).isInstanceOf(java.net.ConnectException.class);
    }
  }
}
