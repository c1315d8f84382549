package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import dev.hybridrelay.server.testing.WsClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** DoS limits (reliability anchors §4.3, scenarios S2–S6). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsTest {
  RelayFixture relay;

  @BeforeAll
  void start() {
    relay = RelayFixture.start(false, b -> b
        .handshakeTimeout(Duration.ofMillis(800))
        .maxHandshakeBytes(4096)
        .maxFramePayload(256 * 1024)
        .maxMessageSize(512 * 1024));
  }

  @AfterAll
  void stop() {
    relay.close();
  }

  RawWs[] splicedRaw(TestListener l, String hc) throws Exception {
    CompletableFuture<RawWs> sender = CompletableFuture.supplyAsync(() -> {
      try {
        return relay.rawSender(hc, RelayFixture.auth(RelayFixture.token(hc)));
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    JsonNode accept = l.nextAccept(5000);
    RawWs b = l.acceptRaw(accept, Map.of());
    return new RawWs[] {sender.get(5, TimeUnit.SECONDS), b};
  }

  void assertStillServing() throws Exception {
    try (TestListener l = relay.listen("alive")) {
      assertThat(l.control.isOpen()).isTrue();
      assertThat(relay.server.listenerCount("alive")).isEqualTo(1);
    }
  }

  @Test
  void frameHeaderDeclaringTwoGibibytesClosesWith1009AndServerKeepsAccepting() throws Exception {
    try (TestListener l = relay.listen("bigframe")) {
      RawWs[] pair = splicedRaw(l, "bigframe");
      long start = System.nanoTime();
      pair[0].writeHeader(RawWs.BINARY, true, (1L << 31) - 2);
      pair[0].writeRaw(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
      RawWs.Frame close = pair[0].readDataOrClose();
      assertThat(close.opcode()).isEqualTo(RawWs.CLOSE);
      assertThat(close.closeCode()).isEqualTo(1009);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
      RawWs.Frame peerClose = pair[1].readDataOrClose();
      assertThat(peerClose.closeCode()).isEqualTo(1009);
      assertThat(pair[0].awaitEof(2000)).isTrue();
    }
    assertStillServing();
  }

  @Test
  void frameHeaderDeclaringTwoToTheSixtyThirdIsRefusedOnTheControlChannel() throws Exception {
    RawWs control = RawWs.connect(relay.uri("/$hc/huge?sb-hc-action=listen"),
        RelayFixture.auth(RelayFixture.token("huge")), null);
    assertThat(control.status).isEqualTo(101);
    control.writeHeader(RawWs.TEXT, true, Long.MAX_VALUE);
    control.writeRaw(new byte[] {0, 0, 0, 0});
    RawWs.Frame close = control.readDataOrClose();
    assertThat(close.opcode()).isEqualTo(RawWs.CLOSE);
    assertThat(close.closeCode()).isIn(1009, 1002);
    assertThat(control.awaitEof(2000)).isTrue();
    assertStillServing();
  }

  @Test
  void continuationFloodOverTheMessageCapClosesBothLegsWith1009() throws Exception {
    try (TestListener l = relay.listen("flood")) {
      RawWs[] pair = splicedRaw(l, "flood");
      byte[] chunk = new byte[64 * 1024];
      pair[0].send(RawWs.BINARY, false, chunk);
      try {
        for (int i = 0; i < 20; i++) {
          pair[0].send(RawWs.CONTINUATION, false, chunk);
        }
      } catch (IOException closedUnderUs) {
        // expected once the relay has closed the connection
      }
      boolean sawClose = false;
      while (!sawClose) {
        RawWs.Frame f = pair[1].readDataOrClose();
        if (f.opcode() == RawWs.CLOSE) {
          assertThat(f.closeCode()).isEqualTo(1009);
          sawClose = true;
        }
      }
      RawWs.Frame senderClose = pair[0].readDataOrClose();
      assertThat(senderClose.closeCode()).isEqualTo(1009);
    }
  }

  @Test
  void slowlorisIsClosedAtTheDeadlineWhileALegitimateHandshakeSucceeds() throws Exception {
    try (Socket slow = new Socket("localhost", relay.server.port())) {
      slow.setSoTimeout(5000);
      OutputStream out = slow.getOutputStream();
      out.write("GET /$hc/x?sb-hc-action=listen HTTP/1.1\r\nHost: local".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long start = System.nanoTime();
      try (TestListener legit = relay.listen("legit")) {
        assertThat(legit.control.isOpen()).isTrue();
      }
      byte[] buf = new byte[1024];
      int n;
      StringBuilder response = new StringBuilder();
      try {
        while ((n = slow.getInputStream().read(buf)) > 0) {
          response.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
        }
      } catch (IOException reset) {
        // also acceptable
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isLessThan(Duration.ofSeconds(3));
      assertThat(response.toString()).startsWith("HTTP/1.1 408");
    }
  }

  @Test
  void silentConnectionsAreDroppedAtTheDeadline() throws Exception {
    List<Socket> idle = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        Socket s = new Socket("localhost", relay.server.port());
        s.setSoTimeout(4000);
        idle.add(s);
      }
      for (Socket s : idle) {
        try {
          while (s.getInputStream().read(new byte[512]) > 0) {
            // drain the 408
          }
        } catch (IOException reset) {
          // fine
        }
      }
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> relay.server.pendingRendezvousCount() == 0);
    assertStillServing();
  }

  @Test
  void unterminatedHeadersAreCutAtTheByteCap() throws Exception {
    try (Socket s = new Socket("localhost", relay.server.port())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write("GET /$hc/x?sb-hc-action=listen HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
      StringBuilder response = new StringBuilder();
      int written = 0;
      try {
        for (int i = 0; i < 1000; i++) {
          out.write(("X-Filler-" + i + ": " + "a".repeat(100) + "\r\n").getBytes(StandardCharsets.US_ASCII));
          written += 115;
        }
      } catch (IOException closed) {
        // the relay closed while we were still writing
      }
      byte[] buf = new byte[1024];
      int n;
      try {
        while ((n = s.getInputStream().read(buf)) > 0) {
          response.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
        }
      } catch (IOException reset) {
        // acceptable: a reset after the relay stopped reading
      }
      assertThat(response.toString()).matches("(?s)(HTTP/1.1 431.*)?");
      assertThat(written).isPositive();
    }
    assertStillServing();
  }

  @Test
  void permessageDeflateIsNeverNegotiated() throws Exception {
    RawWs control = RawWs.connect(relay.uri("/$hc/deflate?sb-hc-action=listen"),
        Map.of("ServiceBusAuthorization", RelayFixture.token("deflate"),
            "Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"), null);
    assertThat(control.status).isEqualTo(101);
    assertThat(control.headers).doesNotContainKey("sec-websocket-extensions");
    // A compressed (RSV1) frame is a protocol error.
    control.writeRaw(new byte[] {(byte) 0xC1, (byte) 0x80, 0, 0, 0, 0});
    RawWs.Frame close = control.readDataOrClose();
    assertThat(close.closeCode()).isEqualTo(1002);
    control.close();
  }

  @Test
  void connectionCapDropsExtraConnections() throws Exception {
    try (RelayFixture small = RelayFixture.start(false, b -> b.maxConnections(2))) {
      WsClient a = WsClient.open(small.uri("/$hc/a?sb-hc-action=listen"),
          RelayFixture.auth(RelayFixture.token("a")), null);
      WsClient b = WsClient.open(small.uri("/$hc/b?sb-hc-action=listen"),
          RelayFixture.auth(RelayFixture.token("b")), null);
      WsClient c = WsClient.open(small.uri("/$hc/c?sb-hc-action=listen"),
          RelayFixture.auth(RelayFixture.token("c")), null);
      assertThat(a.isOpen()).isTrue();
      assertThat(b.isOpen()).isTrue();
      assertThat(c.isOpen()).isFalse();
      a.closeBlocking();
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        WsClient d = WsClient.open(small.uri("/$hc/d?sb-hc-action=listen"),
            RelayFixture.auth(RelayFixture.token("d")), null);
        assertThat(d.isOpen()).isTrue();
        d.close();
      });
      b.close();
    }
  }
}
