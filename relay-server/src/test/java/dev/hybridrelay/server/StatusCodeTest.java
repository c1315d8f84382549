package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import dev.hybridrelay.server.testing.SasTokens;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Handshake refusals: status codes and reason phrases in the service's shape. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatusCodeTest {
  static final String TRACKED =
      ".* TrackingId:[A-Za-z0-9._:-]+_G\\d+, SystemTracker:sb://localhost/[^,]*, Timestamp:\\S+Z";
  RelayFixture relay;

  @BeforeAll
  void start() {
    relay = RelayFixture.start(false, b -> b
        .autoCreate(false)
        .hybridConnection("known")
        .hybridConnection("anonymous", false)
        .hybridConnection("team/orders")
        .hybridConnectionRule("scoped", "scoped-listen", "c2NvcGVkLWtleQ==", AccessRights.LISTEN));
  }

  @AfterAll
  void stop() {
    relay.close();
  }

  RawWs handshake(String pathAndQuery, String token) throws Exception {
    return relay.rawSender(pathAndQuery, token == null ? Map.of() : RelayFixture.auth(token));
  }

  @Test
  void unknownHybridConnectionIs404EndpointDoesNotExist() throws Exception {
    RawWs r = handshake("nothere?sb-hc-action=connect&sb-hc-id=my-id", RelayFixture.token("nothere"));
    assertThat(r.status).isEqualTo(404);
    assertThat(r.reason).startsWith("Endpoint does not exist. TrackingId:my-id_G").matches(TRACKED);
    RawWs l = handshake("nothere?sb-hc-action=listen", RelayFixture.token("nothere"));
    assertThat(l.status).isEqualTo(404);
    assertThat(l.reason).startsWith("Endpoint does not exist.");
  }

  @Test
  void senderWithoutListenerIs404NoListeners() throws Exception {
    RawWs r = handshake("known?sb-hc-action=connect", RelayFixture.token("known"));
    assertThat(r.status).isEqualTo(404);
    assertThat(r.reason).startsWith("There are no listeners connected for the endpoint. TrackingId:")
        .matches(TRACKED).contains("SystemTracker:sb://localhost/known,");
  }

  @Test
  void badSignatureIs401() throws Exception {
    String token = SasTokens.forPath(RelayFixture.RULE, "wrong-key", "localhost", "known", 600);
    RawWs r = handshake("known?sb-hc-action=listen", token);
    assertThat(r.status).isEqualTo(401);
    assertThat(r.reason).startsWith("InvalidSignature: The token has an invalid signature.").matches(TRACKED);
  }

  @Test
  void expiredTokenIs401() throws Exception {
    String token = SasTokens.forPath(RelayFixture.RULE, RelayFixture.KEY, "localhost", "known", -600);
    RawWs r = handshake("known?sb-hc-action=listen", token);
    assertThat(r.status).isEqualTo(401);
    assertThat(r.reason).startsWith("ExpiredToken");
  }

  @Test
  void missingTokenIs401() throws Exception {
    assertThat(handshake("known?sb-hc-action=listen", null).status).isEqualTo(401);
    assertThat(handshake("known?sb-hc-action=connect", null).status).isEqualTo(401);
  }

  @Test
  void tokenForAnotherHybridConnectionIs401() throws Exception {
    RawWs r = handshake("known?sb-hc-action=listen", RelayFixture.token("known2"));
    assertThat(r.status).isEqualTo(401);
    assertThat(r.reason).startsWith("InvalidAudience");
  }

  @Test
  void sendOnlyTokenCannotListenAndListenOnlyTokenCannotSend() throws Exception {
    RawWs listen = handshake("known?sb-hc-action=listen",
        RelayFixture.token(RelayFixture.SEND_RULE, RelayFixture.SEND_KEY, "known", 600));
    assertThat(listen.status).isEqualTo(403);
    assertThat(listen.reason).startsWith("Unauthorized access. 'Listen' claim(s) are required");
    try (TestListener l = relay.listen("known")) {
      assertThat(l.control.isOpen()).isTrue();
      RawWs send = handshake("known?sb-hc-action=connect",
          RelayFixture.token(RelayFixture.LISTEN_RULE, RelayFixture.LISTEN_KEY, "known", 600));
      assertThat(send.status).isEqualTo(403);
      assertThat(send.reason).contains("'Send' claim(s)");
    }
  }

  @Test
  void namespaceTokenAndQueryTokenWithPlusOrPercent20AreAccepted() throws Exception {
    String nsToken = SasTokens.mint(RelayFixture.RULE, RelayFixture.KEY, "sb://localhost/",
        System.currentTimeMillis() / 1000 + 600);
    try (TestListener l = relay.listen("known", nsToken)) {
      String plus = RelayFixture.enc(nsToken); // URLEncoder: space as '+'
      String pct20 = plus.replace("+", "%20");
      for (String encoded : new String[] {plus, pct20}) {
        CompletableFuture<RawWs> sender = CompletableFuture.supplyAsync(() -> {
          try {
            return relay.rawSender("known?sb-hc-action=connect&sb-hc-token=" + encoded, Map.of());
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        });
        JsonNode accept = l.nextAccept(5000);
        assertThat(accept.get("address").asText()).doesNotContain("sb-hc-token");
        l.reject(accept, 400, "Rejected by user code").close();
        assertThat(sender.get(5, TimeUnit.SECONDS).status).isEqualTo(400);
      }
    }
  }

  @Test
  void anonymousSendersNeedNoTokenWhenTheHybridConnectionAllowsIt() throws Exception {
    try (TestListener l = relay.listen("anonymous")) {
      CompletableFuture<RawWs> sender = CompletableFuture.supplyAsync(() -> {
        try {
          return relay.rawSender("anonymous", Map.of());
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      JsonNode accept = l.nextAccept(5000);
      RawWs accepted = l.acceptRaw(accept, Map.of());
      assertThat(accepted.status).isEqualTo(101);
      assertThat(sender.get(5, TimeUnit.SECONDS).status).isEqualTo(101);
    }
    // Listeners always need a token.
    assertThat(handshake("anonymous?sb-hc-action=listen", null).status).isEqualTo(401);
  }

  @Test
  void hybridConnectionLevelRuleAuthorizesOnlyItsHybridConnection() throws Exception {
    String token = RelayFixture.token("scoped-listen", "c2NvcGVkLWtleQ==", "scoped", 600);
    try (TestListener l = relay.listen("scoped", token)) {
      assertThat(l.control.isOpen()).isTrue();
      assertThat(relay.server.listenerCount("scoped")).isEqualTo(1);
    }
    String other = RelayFixture.token("scoped-listen", "c2NvcGVkLWtleQ==", "known", 600);
    assertThat(handshake("known?sb-hc-action=listen", other).status).isEqualTo(401);
  }

  @Test
  void namesWithSlashesSplitByLongestRegisteredName() throws Exception {
    try (TestListener l = relay.listen("team/orders")) {
      CompletableFuture<RawWs> sender = CompletableFuture.supplyAsync(() -> {
        try {
          return relay.rawSender("team/orders/17/lines?x=1",
              RelayFixture.auth(RelayFixture.token("team/orders/17/lines")));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      JsonNode accept = l.nextAccept(5000);
      assertThat(accept.get("address").asText()).contains("/$hc/team/orders/17/lines?x=1&sb-hc-action=accept");
      l.reject(accept, 404, "No such order").close();
      RawWs r = sender.get(5, TimeUnit.SECONDS);
      assertThat(r.status).isEqualTo(404);
      assertThat(r.reason).isEqualTo("No such order");
    }
  }

  @Test
  void plainHttpRequestsGetClearErrors() throws Exception {
    RawWs root = RawWs.request(relay.uri("/"), "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", null);
    assertThat(root.status).isEqualTo(404);
    RawWs hc = RawWs.request(relay.uri("/known"), "GET /known/x HTTP/1.1\r\nHost: localhost\r\n\r\n", null);
    assertThat(hc.status).isEqualTo(401); // request mode: no token
    assertThat(hc.headers).containsEntry("www-authenticate", "SharedAccessSignature");
    RawWs noUpgrade = RawWs.request(relay.uri("/"),
        "GET /$hc/known?sb-hc-action=listen HTTP/1.1\r\nHost: localhost\r\n\r\n", null);
    assertThat(noUpgrade.status).isEqualTo(400);
    RawWs requestMode = handshake("known?sb-hc-action=request", RelayFixture.token("known"));
    assertThat(requestMode.status).isEqualTo(403); // no such rendezvous address
  }

  @Test
  void reasonPhrasesAreSanitized() throws Exception {
    RawWs r = handshake("evil%0D%0AX-Injected:%20yes?sb-hc-action=connect", RelayFixture.token("x"));
    assertThat(r.status).isIn(401, 404);
    assertThat(r.headers).doesNotContainKey("x-injected");
    assertThat(r.reason).doesNotContain("\r").doesNotContain("\n");
  }
}
