package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import dev.hybridrelay.server.testing.WsClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A listener whose control channel closes after the relay wrote it an offer but before it answered:
 * the relay offers the same sender to another listener instead of letting it wait for the accept
 * timeout. The accept timeout here is a minute, so a sender that is connected within the test's
 * waits was re-offered, not timed out.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReofferTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  RelayFixture relay;

  @BeforeAll
  void start() {
    relay = RelayFixture.start(false, b -> b.acceptTimeout(Duration.ofSeconds(60)));
  }

  @AfterAll
  void stop() {
    relay.close();
  }

  private CompletableFuture<RawWs> sender(String pathAndQuery, String hc) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return relay.rawSender(pathAndQuery, RelayFixture.auth(RelayFixture.token(hc)));
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
  }

  private WsClient control(String hc, String query) {
    WsClient c = WsClient.open(relay.uri("/$hc/" + hc + "?sb-hc-action=listen&sb-hc-id="
        + java.util.UUID.randomUUID() + query), RelayFixture.auth(RelayFixture.token(hc)), relay.ssl);
    assertThat(c.isOpen()).as("listener connected").isTrue();
    return c;
  }

  /** The accept notification that one of {@code controls} receives first, and its index. */
  private static Object[] firstOffer(List<WsClient> controls) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < controls.size(); i++) {
        WsClient.Message m = controls.get(i).messages.poll();
        if (m != null) {
          JsonNode node = JSON.readTree(m.data());
          assertThat(node.has("accept")).as("accept notification: %s", node).isTrue();
          return new Object[] {i, node.get("accept")};
        }
      }
      Thread.sleep(5);
    }
    throw new AssertionError("no listener received the offer");
  }

  private static JsonNode offerTo(WsClient control) throws Exception {
    WsClient.Message m = control.nextMessage(20_000);
    assertThat(m).as("second listener received the offer again").isNotNull();
    JsonNode node = JSON.readTree(m.data());
    assertThat(node.has("accept")).as("accept notification: %s", node).isTrue();
    return node.get("accept");
  }

  private static void kill(WsClient control) throws Exception {
    control.getSocket().setSoLinger(true, 0);
    control.getSocket().close(); // TCP reset, no close frame: a listener process killed
  }

  private void assertRelays(RawWs sender, WsClient listenerLeg) throws Exception {
    sender.sendText("through the second listener");
    WsClient.Message echoed = listenerLeg.nextMessage(10_000);
    assertThat(echoed).isNotNull();
    assertThat(new String(echoed.data(), StandardCharsets.UTF_8)).isEqualTo("through the second listener");
  }

  @Test
  void offerPendingOnAKilledListenerGoesToTheOther() throws Exception {
    List<WsClient> controls = List.of(control("killed", ""), control("killed", ""));
    try {
      CompletableFuture<RawWs> sender = sender("killed", "killed");
      Object[] first = firstOffer(controls);
      int dead = (int) first[0];
      JsonNode offered = (JsonNode) first[1];
      kill(controls.get(dead));
      WsClient survivor = controls.get(1 - dead);
      JsonNode again = offerTo(survivor);
      assertThat(again.get("address").asText()).isEqualTo(offered.get("address").asText());
      assertThat(again.get("id").asText()).isEqualTo(offered.get("id").asText());
      WsClient leg = WsClient.open(URI.create(again.get("address").asText()), Map.of(), relay.ssl);
      assertThat(leg.isOpen()).isTrue();
      RawWs s = sender.get(20, TimeUnit.SECONDS);
      assertThat(s.status).isEqualTo(101);
      assertRelays(s, leg);
      s.close();
      leg.close();
    } finally {
      controls.forEach(WsClient::close);
    }
  }

  @Test
  void whenTheClosedListenerStillAnswersTheFirstAnswerWinsAndTheOtherIsRefused() throws Exception {
    // the relay closed the first listener's channel (as dropControlChannels does), the listener lives on
    for (boolean firstListenerAnswersFirst : new boolean[] {true, false}) {
      String hc = firstListenerAnswersFirst ? "recycled-a" : "recycled-b";
      List<WsClient> controls = List.of(control(hc, ""), control(hc, ""));
      try {
        CompletableFuture<RawWs> sender = sender(hc, hc);
        Object[] first = firstOffer(controls);
        int closed = (int) first[0];
        JsonNode offered = (JsonNode) first[1];
        controls.get(closed).closeBlocking();
        JsonNode again = offerTo(controls.get(1 - closed));
        URI address = URI.create(offered.get("address").asText());
        URI addressAgain = URI.create(again.get("address").asText());
        RawWs winner = RawWs.connect(firstListenerAnswersFirst ? address : addressAgain, Map.of(), relay.ssl);
        RawWs loser = RawWs.connect(firstListenerAnswersFirst ? addressAgain : address, Map.of(), relay.ssl);
        assertThat(winner.status).isEqualTo(101);
        assertThat(loser.status).isEqualTo(403);
        assertThat(loser.reason).startsWith("The rendezvous address is not valid");
        RawWs s = sender.get(20, TimeUnit.SECONDS);
        assertThat(s.status).isEqualTo(101);
        s.close();
        winner.close();
      } finally {
        controls.forEach(WsClient::close);
      }
    }
  }

  @Test
  void reofferGoesOnlyToAListenerThatServesThePortName() throws Exception {
    WsClient a1 = control("ports", "&hybridrelay-port=a");
    WsClient b = control("ports", "&hybridrelay-port=b");
    WsClient a2 = control("ports", "&hybridrelay-port=a");
    try {
      CompletableFuture<RawWs> sender = sender("ports?hybridrelay-port=a", "ports");
      Object[] first = firstOffer(List.of(a1, a2));
      WsClient dead = (int) first[0] == 0 ? a1 : a2;
      WsClient survivor = dead == a1 ? a2 : a1;
      kill(dead);
      JsonNode again = offerTo(survivor);
      WsClient leg = WsClient.open(URI.create(again.get("address").asText()), Map.of(), relay.ssl);
      RawWs s = sender.get(20, TimeUnit.SECONDS);
      assertThat(s.status).isEqualTo(101);
      assertRelays(s, leg);
      assertThat(b.messages).as("the listener for port b never got the offer").isEmpty();
      s.close();
      leg.close();
    } finally {
      a1.close();
      b.close();
      a2.close();
    }
  }

  @Test
  void withNoOtherListenerTheSenderStillWaitsForTheDeadListenersOfferToExpire() throws Exception {
    try (TestListener l = relay.listen("alone")) {
      CompletableFuture<RawWs> sender = sender("alone", "alone");
      JsonNode accept = l.nextAccept(20_000);
      kill(l.control);
      // nobody to re-offer to: the rendezvous stays pending (the accept timeout decides) ...
      Thread.sleep(300);
      assertThat(sender).isNotDone();
      // ... and a listener that comes back in time with the address it was given still connects it
      WsClient leg = WsClient.open(URI.create(accept.get("address").asText()), Map.of(), relay.ssl);
      assertThat(leg.isOpen()).isTrue();
      assertThat(sender.get(20, TimeUnit.SECONDS).status).isEqualTo(101);
      leg.close();
    }
  }
}
