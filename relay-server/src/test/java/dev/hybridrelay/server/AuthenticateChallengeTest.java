package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import dev.hybridrelay.server.testing.SasTokens;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 7235 section 3.1: every 401 the relay sends carries {@code WWW-Authenticate:
 * SharedAccessSignature}, on every handshake path (listen, connect, and a listener's rejection with
 * 401 that the relay hands to the sender), over ws and wss; other refusals carry no challenge.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthenticateChallengeTest {
  private RelayFixture ws;
  private RelayFixture wss;

  @BeforeAll
  void start() {
    ws = RelayFixture.start(false, b -> b.autoCreate(false).hybridConnection("known"));
    wss = RelayFixture.start(true, b -> b.autoCreate(false).hybridConnection("known"));
  }

  @AfterAll
  void stop() {
    ws.close();
    wss.close();
  }

  private static RawWs handshake(RelayFixture relay, String pathAndQuery, String token) throws IOException {
    return relay.rawSender(pathAndQuery, token == null ? Map.of() : RelayFixture.auth(token));
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void every401OnListenAndConnectCarriesTheChallenge(boolean tls) throws Exception {
    RelayFixture relay = tls ? wss : ws;
    String badSignature = SasTokens.forPath(RelayFixture.RULE, "wrong-key", "localhost", "known", 600);
    String expired = SasTokens.forPath(RelayFixture.RULE, RelayFixture.KEY, "localhost", "known", -600);
    String otherAudience = RelayFixture.token("elsewhere");
    List<RawWs> refusals = new ArrayList<>();
    for (String action : List.of("listen", "connect")) {
      refusals.add(handshake(relay, "known?sb-hc-action=" + action, null));
      refusals.add(handshake(relay, "known?sb-hc-action=" + action, badSignature));
      refusals.add(handshake(relay, "known?sb-hc-action=" + action, expired));
      refusals.add(handshake(relay, "known?sb-hc-action=" + action, otherAudience));
      refusals.add(handshake(relay, "known?sb-hc-action=" + action + "&sb-hc-token="
          + RelayFixture.enc(badSignature), null));
    }
    // A sender without the default action, and one for a hybrid connection that does not exist.
    refusals.add(handshake(relay, "known", badSignature));
    refusals.add(handshake(relay, "unknown?sb-hc-action=connect", null));
    for (RawWs r : refusals) {
      assertThat(r.status).as(r.reason).isEqualTo(401);
      assertThat(r.headers).as(r.reason).containsEntry("www-authenticate", "SharedAccessSignature");
      r.close();
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aListenersRejectionWith401ReachesTheSenderWithTheChallenge(boolean tls) throws Exception {
    RelayFixture relay = tls ? wss : ws;
    try (TestListener listener = relay.listen("known")) {
      CompletableFuture<RawWs> sender = CompletableFuture.supplyAsync(() -> {
        try {
          return handshake(relay, "known?sb-hc-action=connect", RelayFixture.token("known"));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      JsonNode accept = listener.nextAccept(10_000);
      RawWs rejection = listener.reject(accept, 401, "Not on the list");
      assertThat(rejection.status).isEqualTo(410);
      assertThat(rejection.headers).doesNotContainKey("www-authenticate");
      RawWs refused = sender.get(10, TimeUnit.SECONDS);
      assertThat(refused.status).isEqualTo(401);
      assertThat(refused.reason).isEqualTo("Not on the list");
      assertThat(refused.headers).containsEntry("www-authenticate", "SharedAccessSignature");
      rejection.close();
      refused.close();
    }
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void otherRefusalsCarryNoChallenge(boolean tls) throws Exception {
    RelayFixture relay = tls ? wss : ws;
    RawWs forbidden = handshake(relay, "known?sb-hc-action=listen",
        RelayFixture.token(RelayFixture.SEND_RULE, RelayFixture.SEND_KEY, "known", 600));
    assertThat(forbidden.status).isEqualTo(403);
    RawWs noListener = handshake(relay, "known?sb-hc-action=connect", RelayFixture.token("known"));
    assertThat(noListener.status).isEqualTo(404);
    RawWs badAccept = handshake(relay, "known?sb-hc-action=accept&sb-hc-rendezvous=nope", null);
    assertThat(badAccept.status).isEqualTo(403);
    for (RawWs r : List.of(forbidden, noListener, badAccept)) {
      assertThat(r.headers).doesNotContainKey("www-authenticate");
      r.close();
    }
  }
}
