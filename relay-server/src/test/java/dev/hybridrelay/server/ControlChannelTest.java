package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import dev.hybridrelay.server.testing.SasTokens;
import dev.hybridrelay.server.testing.WsClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlChannelTest {
  RelayFixture relay;

  @BeforeAll
  void start() {
    relay = RelayFixture.start(false, b -> b
        .tokenClockSkew(Duration.ZERO)
        .maxControlMessageSize(1024)
        .keepAliveInterval(Duration.ofMillis(300)));
  }

  @AfterAll
  void stop() {
    relay.close();
  }

  static String shortToken(String hc, long ttlSeconds) {
    return RelayFixture.token(RelayFixture.RULE, RelayFixture.KEY, hc, ttlSeconds);
  }

  static String renew(String token) {
    return "{\"renewToken\":{\"token\":\"" + token + "\"}}";
  }

  @Test
  void renewedTokenKeepsTheChannelPastTheOriginalExpiry() throws Exception {
    try (TestListener l = relay.listen("renew", shortToken("renew", 2))) {
      l.control.send(renew(shortToken("renew", 120)));
      Thread.sleep(3200);
      assertThat(l.control.isOpen()).isTrue();
      assertThat(relay.server.listenerCount("renew")).isEqualTo(1);
    }
  }

  @Test
  void invalidRenewalClosesWith1008() throws Exception {
    try (TestListener l = relay.listen("badrenew")) {
      l.control.send(renew(SasTokens.forPath(RelayFixture.RULE, "not-the-key", "localhost", "badrenew", 600)));
      WsClient.Closed closed = l.control.awaitClosed(5000);
      assertThat(closed.code()).isEqualTo(1008);
      assertThat(closed.reason()).startsWith("Token renewal failed");
      assertThat(closed.reason()).doesNotContain("sig=");
    }
  }

  @Test
  void renewalWithoutListenRightClosesWith1008() throws Exception {
    try (TestListener l = relay.listen("sendrenew")) {
      l.control.send(renew(RelayFixture.token(RelayFixture.SEND_RULE, RelayFixture.SEND_KEY, "sendrenew", 600)));
      assertThat(l.control.awaitClosed(5000).code()).isEqualTo(1008);
    }
  }

  @Test
  void expiredControlChannelIsClosedButRelayedConnectionsKeepWorking() throws Exception {
    try (TestListener l = relay.listen("expiry", shortToken("expiry", 2))) {
      WsClient sender = relay.sender("expiry", RelayFixture.auth(RelayFixture.token("expiry")));
      sender.connect();
      JsonNode accept = l.nextAccept(5000);
      WsClient accepted = l.accept(accept, Map.of());
      assertThat(sender.awaitOpen(5000)).isTrue();

      WsClient.Closed closed = l.control.awaitClosed(5000);
      assertThat(closed.code()).isEqualTo(1008);
      assertThat(closed.reason()).startsWith("Token expired");
      assertThat(relay.server.listenerCount("expiry")).isZero();

      sender.send("after expiry");
      assertThat(accepted.nextMessage(5000).asText()).isEqualTo("after expiry");
      accepted.send("still here");
      assertThat(sender.nextMessage(5000).asText()).isEqualTo("still here");
      sender.close();
    }
  }

  @Test
  void malformedMessageClosesOnlyThatListener() throws Exception {
    try (TestListener bad = relay.listen("shared"); TestListener good = relay.listen("shared")) {
      bad.control.send("{not json");
      WsClient.Closed closed = bad.control.awaitClosed(5000);
      assertThat(closed.code()).isEqualTo(1008);
      assertThat(closed.reason()).isEqualTo("Malformed control message");
      await().until(() -> relay.server.listenerCount("shared") == 1);

      WsClient sender = relay.sender("shared", RelayFixture.auth(RelayFixture.token("shared")));
      sender.connect();
      WsClient accepted = good.accept(good.nextAccept(5000), Map.of());
      assertThat(sender.awaitOpen(5000)).isTrue();
      sender.send("served");
      assertThat(accepted.nextMessage(5000).asText()).isEqualTo("served");
      sender.close();
    }
  }

  @Test
  void unknownCommandAndNonObjectJsonAreRefused() throws Exception {
    try (TestListener l = relay.listen("unknown")) {
      l.control.send("{\"launchMissiles\":{}}");
      WsClient.Closed closed = l.control.awaitClosed(5000);
      assertThat(closed.code()).isEqualTo(1008);
      assertThat(closed.reason()).isEqualTo("Unknown control command");
    }
    try (TestListener l = relay.listen("unknown")) {
      l.control.send("[1,2,3]");
      assertThat(l.control.awaitClosed(5000).code()).isEqualTo(1008);
    }
  }

  @Test
  void oversizedControlMessageClosesWith1009() throws Exception {
    try (TestListener l = relay.listen("oversized")) {
      l.control.send("{\"renewToken\":{\"token\":\"" + "x".repeat(2000) + "\"}}");
      assertThat(l.control.awaitClosed(5000).code()).isEqualTo(1009);
    }
  }

  @Test
  void oversizedFragmentedControlMessageClosesWith1009() throws Exception {
    RawWs control = RawWs.connect(relay.uri("/$hc/fragctl?sb-hc-action=listen"),
        RelayFixture.auth(RelayFixture.token("fragctl")), null);
    assertThat(control.status).isEqualTo(101);
    byte[] chunk = "x".repeat(600).getBytes(StandardCharsets.UTF_8);
    control.send(RawWs.TEXT, false, chunk);
    control.send(RawWs.CONTINUATION, false, chunk);
    RawWs.Frame close = control.readDataOrClose();
    assertThat(close.opcode()).isEqualTo(RawWs.CLOSE);
    assertThat(close.closeCode()).isEqualTo(1009);
    control.close();
  }

  @Test
  void binaryControlMessageClosesWith1003() throws Exception {
    try (TestListener l = relay.listen("binary")) {
      l.control.send(new byte[] {1, 2});
      assertThat(l.control.awaitClosed(5000).code()).isEqualTo(1003);
    }
  }

  @Test
  void clientPingsAndUnsolicitedPongsKeepTheChannelAlive() throws Exception {
    try (TestListener l = relay.listen("pings")) {
      l.control.sendPing();
      await().atMost(Duration.ofSeconds(5)).until(() -> l.control.pongs > 0);
    }
    RawWs control = RawWs.connect(relay.uri("/$hc/pongs?sb-hc-action=listen"),
        RelayFixture.auth(RelayFixture.token("pongs")), null);
    assertThat(control.status).isEqualTo(101);
    for (int i = 0; i < 8; i++) {
      control.send(RawWs.PONG, true, new byte[0]); // unsolicited pong every 150 ms
      Thread.sleep(150);
    }
    assertThat(relay.server.listenerCount("pongs")).isEqualTo(1);
    control.close();
  }

  @Test
  void relayPingsIdleChannelsAndDropsDeadOnes() throws Exception {
    RawWs silent = RawWs.connect(relay.uri("/$hc/silent?sb-hc-action=listen"),
        RelayFixture.auth(RelayFixture.token("silent")), null);
    assertThat(silent.status).isEqualTo(101);
    RawWs.Frame ping = silent.readFrame();
    assertThat(ping.opcode()).isEqualTo(RawWs.PING);
    // No pong: the relay drops the channel after another interval.
    assertThat(silent.awaitEof(3000)).isTrue();
    await().until(() -> relay.server.listenerCount("silent") == 0);

    try (TestListener answering = relay.listen("answering")) { // Java-WebSocket answers pings
      Thread.sleep(1500);
      assertThat(answering.control.isOpen()).isTrue();
    }
  }

  @Test
  void dropControlChannelsClosesListenersWithTheGivenCode() throws Exception {
    try (TestListener l = relay.listen("recycle")) {
      relay.server.dropControlChannels(1001, "Listener recycled");
      WsClient.Closed closed = l.control.awaitClosed(5000);
      assertThat(closed.code()).isEqualTo(1001);
      assertThat(closed.reason()).isEqualTo("Listener recycled");
      await().until(() -> relay.server.listenerCount("recycle") == 0);
    }
  }

  @Test
  void listenerCloseIsEchoedAndDeregisters() throws Exception {
    TestListener l = relay.listen("goodbye");
    l.control.closeBlocking();
    assertThat(l.control.closedState().code()).isEqualTo(1000);
    await().until(() -> relay.server.listenerCount("goodbye") == 0);
  }
}
