package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 6455 §5.5.1 across the relay: a peer that sends its Close and then half-closes TCP (FIN, or
 * TLS close_notify then FIN, as Jetty's WebSocket client does) still receives the other side's Close,
 * on both legs, over ws and wss. 100 attempts per leg and transport.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HalfCloseProbeTest {
  private static final int ATTEMPTS = 100;
  private RelayFixture ws;
  private RelayFixture wss;

  @BeforeAll
  void start() {
    ws = RelayFixture.start(false);
    wss = RelayFixture.start(true);
  }

  @AfterAll
  void stop() {
    ws.close();
    wss.close();
  }

  private RelayFixture relay(boolean tls) {
    return tls ? wss : ws;
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void senderThatHalfClosesAfterItsCloseStillGetsTheListenersClose(boolean tls) throws Exception {
    RelayFixture relay = relay(tls);
    int answered = 0;
    try (TestListener listener = relay.listen("probe-sender-" + tls)) {
      for (int i = 0; i < ATTEMPTS; i++) {
        RawWs[] pair = pair(relay, listener, "probe-sender-" + tls);
        RawWs sender = pair[0];
        RawWs accepted = pair[1];
        sender.sendClose(1000, "sender done " + i);
        sender.socket().shutdownOutput();
        RawWs.Frame forwarded = accepted.readDataOrClose();
        assertThat(forwarded.opcode()).isEqualTo(RawWs.CLOSE);
        assertThat(forwarded.closeReason()).isEqualTo("sender done " + i);
        accepted.sendClose(4001, "listener reply " + i);
        RawWs.Frame reply = sender.readDataOrClose();
        assertThat(reply.opcode()).isEqualTo(RawWs.CLOSE);
        assertThat(reply.closeCode()).isEqualTo(4001);
        assertThat(reply.closeReason()).isEqualTo("listener reply " + i);
        answered++;
        assertThat(sender.awaitEof(10_000)).isTrue();
        assertThat(accepted.awaitEof(10_000)).isTrue();
        sender.close();
        accepted.close();
      }
    }
    assertThat(answered).isEqualTo(ATTEMPTS);
    await().atMost(Duration.ofSeconds(10)).until(() -> relay.server.activeConnectionCount() == 0);
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void listenerThatHalfClosesAfterItsCloseStillGetsTheSendersClose(boolean tls) throws Exception {
    RelayFixture relay = relay(tls);
    int answered = 0;
    try (TestListener listener = relay.listen("probe-listener-" + tls)) {
      for (int i = 0; i < ATTEMPTS; i++) {
        RawWs[] pair = pair(relay, listener, "probe-listener-" + tls);
        RawWs sender = pair[0];
        RawWs accepted = pair[1];
        accepted.sendClose(1001, "listener done " + i);
        accepted.socket().shutdownOutput();
        RawWs.Frame forwarded = sender.readDataOrClose();
        assertThat(forwarded.opcode()).isEqualTo(RawWs.CLOSE);
        assertThat(forwarded.closeCode()).isEqualTo(1001);
        sender.sendClose(1000, "sender reply " + i);
        RawWs.Frame reply = accepted.readDataOrClose();
        assertThat(reply.opcode()).isEqualTo(RawWs.CLOSE);
        assertThat(reply.closeCode()).isEqualTo(1000);
        assertThat(reply.closeReason()).isEqualTo("sender reply " + i);
        answered++;
        assertThat(accepted.awaitEof(10_000)).isTrue();
        assertThat(sender.awaitEof(10_000)).isTrue();
        sender.close();
        accepted.close();
      }
    }
    assertThat(answered).isEqualTo(ATTEMPTS);
    await().atMost(Duration.ofSeconds(10)).until(() -> relay.server.activeConnectionCount() == 0);
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aHalfClosedLegStillReceivesDataAndIsClosedAfterTheCloseTimeout(boolean tls) throws Exception {
    RelayFixture relay = RelayFixture.start(tls, b -> b.closeTimeout(Duration.ofMillis(300)));
    try (relay; TestListener listener = relay.listen("probe-silent")) {
      RawWs[] pair = pair(relay, listener, "probe-silent");
      RawWs sender = pair[0];
      RawWs accepted = pair[1];
      sender.sendClose(1000, "bye");
      sender.socket().shutdownOutput();
      assertThat(accepted.readDataOrClose().opcode()).isEqualTo(RawWs.CLOSE);
      // Data after the peer's Close still reaches the half-closed sender.
      accepted.sendText("late data");
      RawWs.Frame late = sender.readDataOrClose();
      assertThat(late.opcode()).isEqualTo(RawWs.TEXT);
      assertThat(late.text()).isEqualTo("late data");
      // The listener never answers: the relay ends both legs once the close timeout has passed.
      assertThat(sender.awaitEof(10_000)).isTrue();
      assertThat(accepted.awaitEof(10_000)).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> relay.server.activeConnectionCount() == 0);
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aFinWithoutACloseStillAbortsTheOtherLeg(boolean tls) throws Exception {
    RelayFixture relay = relay(tls);
    try (TestListener listener = relay.listen("probe-fin")) {
      RawWs[] pair = pair(relay, listener, "probe-fin");
      pair[0].socket().shutdownOutput();
      assertThat(pair[1].awaitEof(10_000)).isTrue();
      assertThat(pair[0].awaitEof(10_000)).isTrue();
      pair[0].close();
      pair[1].close();
      await().atMost(Duration.ofSeconds(10)).until(() -> relay.server.activeConnectionCount() == 0);
    }
  }

  private static RawWs[] pair(RelayFixture relay, TestListener listener, String hc) throws Exception {
    CompletableFuture<RawWs> pending = CompletableFuture.supplyAsync(() -> {
      try {
        return relay.rawSender(hc, RelayFixture.auth(RelayFixture.token(hc)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    JsonNode accept = listener.nextAccept(10_000);
    RawWs accepted = listener.acceptRaw(accept, Map.of());
    RawWs sender = pending.get(10, TimeUnit.SECONDS);
    assertThat(sender.status).isEqualTo(101);
    assertThat(accepted.status).isEqualTo(101);
    return new RawWs[] {sender, accepted};
  }
}
