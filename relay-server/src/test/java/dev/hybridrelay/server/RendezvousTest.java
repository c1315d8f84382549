package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import dev.hybridrelay.server.testing.WsClient;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** One-time accept addresses: timeout, replay, guessing, sender leaving. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RendezvousTest {
  RelayFixture relay;

  @BeforeAll
  void start() {
    relay = RelayFixture.start(false, b -> b.acceptTimeout(Duration.ofMillis(700)));
  }

  @AfterAll
  void stop() {
    relay.close();
  }

  CompletableFuture<RawWs> sender(String hc) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return relay.rawSender(hc, RelayFixture.auth(RelayFixture.token(hc)));
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
  }

  @Test
  void senderGets504WhenTheListenerNeverAnswersAndTheAddressDiesWithIt() throws Exception {
    try (TestListener l = relay.listen("stall")) {
      long start = System.nanoTime();
      CompletableFuture<RawWs> sender = sender("stall");
      JsonNode accept = l.nextAccept(5000);
      RawWs refused = sender.get(5, TimeUnit.SECONDS);
      assertThat(refused.status).isEqualTo(504);
      assertThat(refused.reason).contains("did not accept or reject").contains("TrackingId:");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
      assertThat(relay.server.pendingRendezvousCount()).isZero();
      RawWs late = l.acceptRaw(accept, Map.of());
      assertThat(late.status).isEqualTo(403);
      assertThat(late.reason).startsWith("The rendezvous address is not valid");
    }
  }

  @Test
  void acceptAddressIsSingleUse() throws Exception {
    try (TestListener l = relay.listen("replay")) {
      CompletableFuture<RawWs> sender = sender("replay");
      JsonNode accept = l.nextAccept(5000);
      RawWs first = l.acceptRaw(accept, Map.of());
      assertThat(first.status).isEqualTo(101);
      assertThat(sender.get(5, TimeUnit.SECONDS).status).isEqualTo(101);
      RawWs replay = l.acceptRaw(accept, Map.of());
      assertThat(replay.status).isEqualTo(403);
      RawWs rejectAfterAccept = l.reject(accept, 400, "too late");
      assertThat(rejectAfterAccept.status).isEqualTo(403);
      first.close();
    }
  }

  @Test
  void addressCarriesEnoughRandomnessAndGuessesAreRefused() throws Exception {
    try (TestListener l = relay.listen("guess")) {
      CompletableFuture<RawWs> sender = sender("guess");
      JsonNode accept = l.nextAccept(5000);
      String address = accept.get("address").asText();
      String secret = address.replaceAll(".*sb-hc-rendezvous=([^&]+).*", "$1");
      assertThat(secret).hasSizeGreaterThanOrEqualTo(43); // 256 bits in Base64url
      String guessed = address.replace(secret, "A".repeat(secret.length()));
      assertThat(RawWs.connect(URI.create(guessed), Map.of(), null).status).isEqualTo(403);
      String stripped = address.replaceAll("&sb-hc-rendezvous=[^&]+", "");
      assertThat(RawWs.connect(URI.create(stripped), Map.of(), null).status).isEqualTo(403);
      // The genuine address still works after the failed guesses.
      RawWs accepted = l.acceptRaw(accept, Map.of());
      assertThat(accepted.status).isEqualTo(101);
      RawWs s = sender.get(5, TimeUnit.SECONDS);
      assertThat(s.status).isEqualTo(101);
      s.close();
      accepted.close();
    }
  }

  @Test
  void invalidRejectStatusIsRefusedWithoutConsumingTheAddress() throws Exception {
    try (TestListener l = relay.listen("badreject")) {
      CompletableFuture<RawWs> sender = sender("badreject");
      JsonNode accept = l.nextAccept(5000);
      assertThat(l.reject(accept, 200, "fine").status).isEqualTo(400);
      assertThat(l.reject(accept, 403, "Forbidden by policy").status).isEqualTo(410);
      RawWs s = sender.get(5, TimeUnit.SECONDS);
      assertThat(s.status).isEqualTo(403);
      assertThat(s.reason).isEqualTo("Forbidden by policy");
    }
  }

  @Test
  void senderLeavingCancelsTheRendezvous() throws Exception {
    try (TestListener l = relay.listen("leaving")) {
      WsClient sender = relay.sender("leaving", RelayFixture.auth(RelayFixture.token("leaving")));
      sender.connect();
      JsonNode accept = l.nextAccept(5000);
      assertThat(relay.server.pendingRendezvousCount()).isEqualTo(1);
      sender.closeConnection(1006, "gone");
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.server.pendingRendezvousCount() == 0);
      assertThat(l.acceptRaw(accept, Map.of()).status).isEqualTo(403);
    }
  }

  @Test
  void abortOnOneLegAbortsTheOther() throws Exception {
    try (TestListener l = relay.listen("abort")) {
      CompletableFuture<RawWs> sender = sender("abort");
      JsonNode accept = l.nextAccept(5000);
      WsClient listenerLeg = l.accept(accept, Map.of());
      RawWs s = sender.get(5, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.server.activeConnectionCount() == 1);
      s.socket().setSoLinger(true, 0);
      s.close(); // RST, no close frame
      WsClient.Closed closed = listenerLeg.awaitClosed(5000);
      assertThat(closed.code()).isNotEqualTo(1000);
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.server.activeConnectionCount() == 0);
    }
  }
}
