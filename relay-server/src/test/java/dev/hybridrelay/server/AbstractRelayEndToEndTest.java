package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import dev.hybridrelay.server.testing.WsClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Listener + sender through the relay over real sockets; run on ws and wss, and on the NIO transport. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractRelayEndToEndTest {
  RelayFixture relay;

  abstract boolean tls();

  /** Further relay settings of a subclass (the transport, say). */
  void configure(LocalRelayServer.Builder b) {
  }

  @BeforeAll
  void startRelay() {
    relay = RelayFixture.start(tls(), this::configure);
  }

  @AfterAll
  void stopRelay() {
    relay.close();
  }

  /** Connects a Java-WebSocket sender and accepts it with a Java-WebSocket rendezvous client. */
  WsClient[] connectPair(TestListener listener, String hc, Map<String, String> senderHeaders)
      throws Exception {
    Map<String, String> headers = new HashMap<>(RelayFixture.auth(RelayFixture.token(hc)));
    headers.putAll(senderHeaders);
    WsClient sender = relay.sender(hc + "?sb-hc-action=connect", headers);
    sender.connect();
    JsonNode accept = listener.nextAccept(5000);
    WsClient accepted = listener.accept(accept, Map.of());
    assertThat(sender.awaitOpen(5000)).isTrue();
    return new WsClient[] {sender, accepted};
  }

  RawWs rawSender(String pathAndQuery, Map<String, String> headers) {
    try {
      return relay.rawSender(pathAndQuery, headers);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void dataFlowsBothWaysWithMessageTypesPreserved() throws Exception {
    try (TestListener listener = relay.listen("echo")) {
      WsClient[] pair = connectPair(listener, "echo", Map.of());
      WsClient sender = pair[0];
      WsClient accepted = pair[1];
      sender.send("hello listener");
      sender.send(new byte[] {1, 2, 3});
      accepted.send("hello sender");
      accepted.send(new byte[] {4, 5});

      WsClient.Message m1 = accepted.nextMessage(5000);
      WsClient.Message m2 = accepted.nextMessage(5000);
      assertThat(m1.text()).isTrue();
      assertThat(m1.asText()).isEqualTo("hello listener");
      assertThat(m2.text()).isFalse();
      assertThat(m2.data()).containsExactly(1, 2, 3);
      WsClient.Message r1 = sender.nextMessage(5000);
      WsClient.Message r2 = sender.nextMessage(5000);
      assertThat(r1.asText()).isEqualTo("hello sender");
      assertThat(r1.text()).isTrue();
      assertThat(r2.text()).isFalse();
      assertThat(r2.data()).containsExactly(4, 5);
      assertThat(relay.server.activeConnectionCount()).isEqualTo(1);

      sender.closeBlocking();
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.server.activeConnectionCount() == 0);
      assertThat(accepted.awaitClosed(5000).code()).isEqualTo(1000);
    }
  }

  @Test
  void fragmentedMessagesArriveWholeAndInOrder() throws Exception {
    try (TestListener listener = relay.listen("fragments")) {
      // The raw sender's upgrade is held until the listener accepts: connect in the background.
      CompletableFuture<RawWs> pending = CompletableFuture.supplyAsync(() -> rawSender("fragments",
          RelayFixture.auth(RelayFixture.token("fragments"))));
      JsonNode accept = listener.nextAccept(5000);
      WsClient accepted = listener.accept(accept, Map.of());
      RawWs sender = pending.get(5, TimeUnit.SECONDS);
      assertThat(sender.status).isEqualTo(101);
      sender.send(RawWs.TEXT, false, "hel".getBytes(StandardCharsets.UTF_8));
      sender.send(RawWs.CONTINUATION, false, "lo ".getBytes(StandardCharsets.UTF_8));
      sender.send(RawWs.CONTINUATION, true, "world".getBytes(StandardCharsets.UTF_8));
      sender.send(RawWs.BINARY, true, new byte[] {9});
      sender.send(RawWs.PING, true, "p".getBytes(StandardCharsets.UTF_8));
      assertThat(accepted.nextMessage(5000).asText()).isEqualTo("hello world");
      WsClient.Message bin = accepted.nextMessage(5000);
      assertThat(bin.text()).isFalse();
      assertThat(bin.data()).containsExactly(9);
      RawWs.Frame pong = sender.readFrame();
      assertThat(pong.opcode()).isEqualTo(RawWs.PONG);
      assertThat(pong.text()).isEqualTo("p");
      sender.close();
      // A TCP drop without a close frame reaches the other side as an abnormal close.
      assertThat(accepted.awaitClosed(5000).code()).isNotEqualTo(1000);
    }
  }

  @Test
  void oneMebibyteMessagePassesBothWays() throws Exception {
    try (TestListener listener = relay.listen("large")) {
      WsClient[] pair = connectPair(listener, "large", Map.of());
      byte[] payload = new byte[1024 * 1024];
      new Random(42).nextBytes(payload);
      pair[0].send(payload);
      assertThat(pair[1].nextMessage(10_000).data()).isEqualTo(payload);
      pair[1].send(payload);
      assertThat(pair[0].nextMessage(10_000).data()).isEqualTo(payload);
      pair[0].close();
    }
  }

  @Test
  void closeCodeAndReasonPassThrough() throws Exception {
    try (TestListener listener = relay.listen("closing")) {
      WsClient[] pair = connectPair(listener, "closing", Map.of());
      pair[1].close(4001, "listener says bye");
      WsClient.Closed closed = pair[0].awaitClosed(5000);
      assertThat(closed.code()).isEqualTo(4001);
      assertThat(closed.reason()).isEqualTo("listener says bye");
      assertThat(closed.remote()).isTrue();
      assertThat(pair[1].awaitClosed(5000).code()).isEqualTo(4001);
    }
  }

  @Test
  void halfCloseLetsTheOtherDirectionFinish() throws Exception {
    // Both peers are raw clients: like .NET's CloseOutputAsync they keep reading after their Close
    // (Java-WebSocket 1.6.0 stops reading once it has sent a Close).
    try (TestListener listener = relay.listen("halfclose")) {
      CompletableFuture<RawWs> pending = CompletableFuture.supplyAsync(() -> rawSender("halfclose",
          RelayFixture.auth(RelayFixture.token("halfclose"))));
      JsonNode accept = listener.nextAccept(5000);
      RawWs b = listener.acceptRaw(accept, Map.of());
      RawWs a = pending.get(5, TimeUnit.SECONDS);
      assertThat(a.status).isEqualTo(101);
      assertThat(b.status).isEqualTo(101);

      a.sendClose(1000, "Shutdown"); // A: half-close
      RawWs.Frame close = b.readDataOrClose();
      assertThat(close.opcode()).isEqualTo(RawWs.CLOSE);
      assertThat(close.closeCode()).isEqualTo(1000);
      assertThat(close.closeReason()).isEqualTo("Shutdown");

      b.sendText("still flowing 1"); // B keeps sending after A's Close
      b.send(RawWs.BINARY, true, new byte[] {7, 7});
      RawWs.Frame d1 = a.readDataOrClose();
      assertThat(d1.opcode()).isEqualTo(RawWs.TEXT);
      assertThat(d1.text()).isEqualTo("still flowing 1");
      RawWs.Frame d2 = a.readDataOrClose();
      assertThat(d2.opcode()).isEqualTo(RawWs.BINARY);
      assertThat(d2.payload()).containsExactly(7, 7);
      assertThat(relay.server.activeConnectionCount()).isEqualTo(1);

      b.sendClose(1000, "done");
      RawWs.Frame finalClose = a.readDataOrClose();
      assertThat(finalClose.opcode()).isEqualTo(RawWs.CLOSE);
      assertThat(finalClose.closeReason()).isEqualTo("done");
      assertThat(a.awaitEof(5000)).isTrue();
      assertThat(b.awaitEof(5000)).isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.server.activeConnectionCount() == 0);
    }
  }

  @Test
  void rejectDeliversStatusAndDescriptionToTheSender() throws Exception {
    try (TestListener listener = relay.listen("rejecting")) {
      Thread senderThread;
      RawWs[] senderResult = new RawWs[1];
      senderThread = new Thread(() -> {
        try {
          senderResult[0] = relay.rawSender("rejecting?sb-hc-action=connect",
              RelayFixture.auth(RelayFixture.token("rejecting")));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      senderThread.start();
      JsonNode accept = listener.nextAccept(5000);
      RawWs rejection = listener.reject(accept, 401, "Go away, you are not on the list");
      assertThat(rejection.status).isEqualTo(410);
      senderThread.join(5000);
      assertThat(senderResult[0].status).isEqualTo(401);
      assertThat(senderResult[0].reason).isEqualTo("Go away, you are not on the list");
      assertThat(relay.server.pendingRendezvousCount()).isZero();
    }
  }

  @Test
  void subprotocolChosenByTheListenerIsReturnedAndNoExtensionIsNegotiated() throws Exception {
    try (TestListener listener = relay.listen("protocols")) {
      Map<String, String> headers = new HashMap<>(RelayFixture.auth(RelayFixture.token("protocols")));
      headers.put("Sec-WebSocket-Protocol", "chat.v1, chat.v2");
      headers.put("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits");
      RawWs[] sender = new RawWs[1];
      Thread t = new Thread(() -> {
        try {
          sender[0] = relay.rawSender("protocols", headers);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      t.start();
      JsonNode accept = listener.nextAccept(5000);
      assertThat(accept.get("connectHeaders").get("Sec-WebSocket-Protocol").asText())
          .isEqualTo("chat.v1, chat.v2");
      RawWs b = listener.acceptRaw(accept, Map.of("Sec-WebSocket-Protocol", "chat.v2"));
      t.join(5000);
      assertThat(b.status).isEqualTo(101);
      assertThat(b.headers.get("sec-websocket-protocol")).isEqualTo("chat.v2");
      assertThat(sender[0].status).isEqualTo(101);
      assertThat(sender[0].headers.get("sec-websocket-protocol")).isEqualTo("chat.v2");
      assertThat(sender[0].headers).doesNotContainKey("sec-websocket-extensions");
      assertThat(b.headers).doesNotContainKey("sec-websocket-extensions");
      sender[0].sendText("x");
      assertThat(b.readDataOrClose().text()).isEqualTo("x");
      sender[0].close();
      b.close();
    }
  }

  @Test
  void acceptCarriesSuffixAppQueryAndConnectHeadersWithoutCredentials() throws Exception {
    try (TestListener listener = relay.listen("orders")) {
      String token = RelayFixture.token("orders");
      Map<String, String> headers = Map.of("X-Client-Build", "2024.06");
      WsClient sender = relay.sender("orders/v2/items?tenant=42&sb-hc-action=connect&sb-hc-id=abc-123"
          + "&sb-hc-token=" + RelayFixture.enc(token) + "&b=x%20y", headers);
      sender.addHeader("X-Repeated", "one");
      sender.connect();
      JsonNode accept = listener.nextAccept(5000);
      String address = accept.get("address").asText();
      assertThat(address).startsWith(relay.scheme() + "://localhost:" + relay.server.port()
          + "/$hc/orders/v2/items?tenant=42&b=x%20y&sb-hc-action=accept&sb-hc-id=abc-123_G");
      assertThat(address).doesNotContain("sb-hc-token").doesNotContain("sig=");
      assertThat(accept.get("id").asText()).startsWith("abc-123_G");
      JsonNode ch = accept.get("connectHeaders");
      assertThat(ch.get("X-Client-Build").asText()).isEqualTo("2024.06");
      assertThat(ch.get("Sec-WebSocket-Key").asText()).isNotBlank();
      assertThat(ch.has("Host")).isTrue();
      assertThat(ch.toString()).doesNotContain("ServiceBusAuthorization").doesNotContain("SharedAccessSignature");
      assertThat(accept.get("remoteEndpoint").get("address").asText()).isEqualTo("127.0.0.1");
      assertThat(accept.get("remoteEndpoint").get("port").asInt()).isPositive();
      WsClient accepted = listener.accept(accept, Map.of());
      assertThat(sender.awaitOpen(5000)).isTrue();
      sender.send("ok");
      assertThat(accepted.nextMessage(5000).asText()).isEqualTo("ok");
      sender.close();
    }
  }

  @Test
  void headerTokenIsNotForwardedInConnectHeaders() throws Exception {
    try (TestListener listener = relay.listen("headers")) {
      Map<String, String> headers = new HashMap<>(RelayFixture.auth(RelayFixture.token("headers")));
      headers.put("X-Custom", "value");
      WsClient sender = relay.sender("headers", headers);
      sender.connect();
      JsonNode accept = listener.nextAccept(5000);
      assertThat(accept.get("connectHeaders").get("X-Custom").asText()).isEqualTo("value");
      assertThat(accept.get("connectHeaders").toString()).doesNotContain("SharedAccessSignature");
      listener.reject(accept, 400, "Rejected by user code").close();
      assertThat(sender.awaitClosed(5000).reason()).contains("400");
    }
  }
}
