package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridrelay.testkit.RawHttp;
import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP request mode on the wire (protocol §3.7): what a listener's control channel and rendezvous
 * socket carry, over ws and wss, with hand-written listener frames so that every message shape
 * the relay must accept is exercised.
 */
@Timeout(60)
class HttpRequestWireTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static Socket senderSocket(RelayFixture relay) throws Exception {
    Socket s = RawWs.socket(URI.create((relay.ssl == null ? "http" : "https") + "://localhost:"
        + relay.server.port() + "/"), relay.ssl);
    s.setSoTimeout(20_000);
    return s;
  }

  static CompletableFuture<RawHttp> sendAsync(Socket s, String request, byte[] body) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        OutputStream out = s.getOutputStream();
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
          out.write(body);
        }
        out.flush();
        return RawHttp.read(s.getInputStream(), false);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
  }

  static JsonNode nextRequest(TestListener l) throws Exception {
    JsonNode n = JSON.readTree(l.control.nextMessage(10_000).data());
    assertThat(n.has("request")).as("request message: %s", n).isTrue();
    return n.get("request");
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void inlineRequestAndInlineResponseWithStringStatus(boolean tls) throws Exception {
    try (RelayFixture relay = RelayFixture.start(tls); TestListener l = relay.listen("shop");
        Socket s = senderSocket(relay)) {
      String token = RelayFixture.token("shop");
      CompletableFuture<RawHttp> res = sendAsync(s, "POST /shop/orders/17?expand=lines&sb-hc-token="
          + RelayFixture.enc(token) + "&sb-hc-undefined&x=%b8 HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Type: application/json\r\nX-Multi: a\r\nX-Multi: b\r\nConnection: keep-alive, X-Hop\r\n"
          + "X-Hop: 1\r\nContent-Length: 9\r\n\r\n", "{\"qty\":3}".getBytes(StandardCharsets.UTF_8));
      JsonNode r = nextRequest(l);
      assertThat(r.get("address").asText()).contains("/$hc/shop/orders/17?sb-hc-action=request");
      assertThat(r.get("id").asText()).matches(".+_G\\d+");
      assertThat(r.get("method").asText()).isEqualTo("POST");
      assertThat(r.get("requestTarget").asText()).isEqualTo("/shop/orders/17?expand=lines&sb-hc-undefined&x=%b8");
      assertThat(r.get("body").asBoolean()).isTrue();
      assertThat(r.get("remoteEndpoint").get("port").asInt()).isEqualTo(s.getLocalPort());
      JsonNode h = r.get("requestHeaders");
      assertThat(h.get("X-Multi").asText()).isEqualTo("a, b");
      assertThat(h.get("Via").asText()).isEqualTo("1.1 localhost");
      assertThat(h.has("Connection")).isFalse();
      assertThat(h.has("Content-Length")).isFalse();
      assertThat(h.has("X-Hop")).isFalse();
      assertThat(h.get("Host").asText()).isEqualTo("localhost");
      assertThat(l.control.nextMessage(10_000).asText()).isEqualTo("{\"qty\":3}");

      l.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":\"201\","
          + "\"statusDescription\":\"Created\",\"responseHeaders\":{\"Location\":\"/shop/orders/17\","
          + "\"Transfer-Encoding\":\"bogus\"},\"body\":true}}");
      l.control.send("{\"id\":17}".getBytes(StandardCharsets.UTF_8));
      RawHttp answer = res.get(10, TimeUnit.SECONDS);
      assertThat(answer.status).isEqualTo(201);
      assertThat(answer.reason).isEqualTo("Created");
      assertThat(answer.headers.get("Location")).isEqualTo("/shop/orders/17");
      assertThat(answer.headers.get("Content-Length")).isEqualTo("9");
      assertThat(answer.headers.get("Via")).isEqualTo("1.1 localhost");
      assertThat(answer.bodyText()).isEqualTo("{\"id\":17}");
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void largeRequestGoesOverTheRendezvousAndTheResponseStreamsBack(boolean tls) throws Exception {
    byte[] upload = new byte[200_000];
    new Random(1).nextBytes(upload);
    byte[] download = new byte[300_000];
    new Random(2).nextBytes(download);
    try (RelayFixture relay = RelayFixture.start(tls); TestListener l = relay.listen("big");
        Socket s = senderSocket(relay)) {
      CompletableFuture<RawHttp> res = sendAsync(s, "PUT /big/file HTTP/1.1\r\nHost: localhost\r\n"
          + "ServiceBusAuthorization: " + RelayFixture.token("big") + "\r\nContent-Length: " + upload.length
          + "\r\n\r\n", upload);
      JsonNode announce = nextRequest(l);
      assertThat(announce.has("method")).isFalse();
      assertThat(announce.has("body")).isFalse();
      assertThat(announce.has("address")).isTrue();
      assertThat(announce.has("id")).isTrue();
      try (RawWs rv = RawWs.connect(URI.create(announce.get("address").asText()), Map.of(), relay.ssl)) {
        assertThat(rv.status).isEqualTo(101);
        RawWs.Frame head = rv.readDataOrClose();
        assertThat(head.opcode()).isEqualTo(RawWs.TEXT);
        JsonNode full = JSON.readTree(head.text()).get("request");
        assertThat(full.get("method").asText()).isEqualTo("PUT");
        assertThat(full.get("body").asBoolean()).isTrue();
        assertThat(full.get("id").asText()).isEqualTo(announce.get("id").asText());
        assertThat(full.get("requestHeaders").has("ServiceBusAuthorization")).isFalse();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        RawWs.Frame f;
        do {
          f = rv.readDataOrClose();
          assertThat(f.opcode()).isIn(RawWs.BINARY, RawWs.CONTINUATION);
          got.write(f.payload());
        } while (!f.fin());
        assertThat(got.toByteArray()).isEqualTo(upload);

        rv.sendText("{\"response\":{\"requestId\":\"" + full.get("id").asText()
            + "\",\"statusCode\":200,\"responseHeaders\":{\"X-Stream\":\"yes\"},\"body\":true}}");
        int off = 0;
        boolean first = true;
        while (off < download.length) {
          int n = Math.min(65_536, download.length - off);
          rv.send(first ? RawWs.BINARY : RawWs.CONTINUATION, false, Arrays.copyOfRange(download, off, off + n));
          first = false;
          off += n;
        }
        rv.send(RawWs.CONTINUATION, true, new byte[0]);
        RawHttp answer = res.get(20, TimeUnit.SECONDS);
        assertThat(answer.status).isEqualTo(200);
        assertThat(answer.reason).isEqualTo("OK");
        assertThat(answer.headers.get("X-Stream")).isEqualTo("yes");
        assertThat(answer.headers.get("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(answer.body).isEqualTo(download);
        RawWs.Frame close = rv.readDataOrClose();
        assertThat(close.opcode()).isEqualTo(RawWs.CLOSE);
        assertThat(close.closeCode()).isEqualTo(1000);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void inlineRequestMayBeAnsweredOverTheRendezvous(boolean tls) throws Exception {
    try (RelayFixture relay = RelayFixture.start(tls); TestListener l = relay.listen("mixed");
        Socket s = senderSocket(relay)) {
      CompletableFuture<RawHttp> res = sendAsync(s, "GET /mixed HTTP/1.1\r\nHost: localhost\r\n"
          + "ServiceBusAuthorization: " + RelayFixture.token("mixed") + "\r\n\r\n", null);
      JsonNode r = nextRequest(l);
      assertThat(r.get("method").asText()).isEqualTo("GET");
      assertThat(r.get("body").asBoolean()).isFalse();
      try (RawWs rv = RawWs.connect(URI.create(r.get("address").asText()), Map.of(), relay.ssl)) {
        assertThat(rv.status).isEqualTo(101);
        rv.sendText("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":203,\"body\":true}}");
        rv.send(RawWs.BINARY, false, "part1-".getBytes(StandardCharsets.UTF_8));
        rv.send(RawWs.CONTINUATION, true, "part2".getBytes(StandardCharsets.UTF_8));
        RawHttp answer = res.get(10, TimeUnit.SECONDS);
        assertThat(answer.status).isEqualTo(203);
        assertThat(answer.bodyText()).isEqualTo("part1-part2");
      }
      // the address was single use
      RawWs again = RawWs.connect(URI.create(r.get("address").asText()), Map.of(), relay.ssl);
      assertThat(again.status).isEqualTo(403);
      again.close();
    }
  }

  /**
   * Response messages of unusual shape (the relay reads the plain shape with a streaming parser and
   * everything else as a tree): each must mean the same as before. One keep-alive connection.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      // extra top-level member after the response, numeric header value, requestId first or last
      "{\"response\":{\"requestId\":\"%s\",\"statusCode\":203,\"responseHeaders\":{\"X-N\":7},\"body\":false},\"x\":1}",
      "{\"x\":[1,{\"y\":2}],\"response\":{\"statusCode\":\" 203 \",\"body\":0,\"responseHeaders\":{\"X-N\":\"7\"},\"requestId\":\"%s\"}}",
      // a repeated header name keeps the last value; an unknown member with an object is skipped
      "{\"response\":{\"requestId\":\"%s\",\"extra\":{\"a\":[1,2]},\"statusCode\":203,\"responseHeaders\":{\"X-N\":\"1\",\"X-N\":\"7\"}}}",
      // a header value of another type (array) takes the tree path, printed as JSON
      "{\"response\":{\"requestId\":\"%s\",\"statusCode\":203,\"responseHeaders\":{\"X-N\":7,\"X-Arr\":[1]},\"body\":false}}"})
  void responseMessagesOfEveryShapeMeanTheSame(String template) throws Exception {
    try (RelayFixture relay = RelayFixture.start(false); TestListener l = relay.listen("shape");
        Socket s = senderSocket(relay)) {
      String req = "GET /shape HTTP/1.1\r\nHost: localhost\r\nServiceBusAuthorization: "
          + RelayFixture.token("shape") + "\r\n\r\n";
      for (int i = 0; i < 2; i++) {
        CompletableFuture<RawHttp> res = sendAsync(s, req, null);
        JsonNode r = nextRequest(l);
        l.control.send(String.format(template, r.get("id").asText()));
        RawHttp answer = res.get(10, TimeUnit.SECONDS);
        assertThat(answer.status).isEqualTo(203);
        assertThat(answer.headers.get("X-N")).isEqualTo("7");
        assertThat(answer.headers.get("Content-Length")).isEqualTo("0");
        if (template.contains("X-Arr")) {
          assertThat(answer.headers.get("X-Arr")).isEqualTo("[1]");
        }
      }
    }
  }

  @org.junit.jupiter.api.Test
  void responseHeadersWithNamesThatAreNotTokensOrValuesWithLineBreaksAreDropped() throws Exception {
    try (RelayFixture relay = RelayFixture.start(false); TestListener l = relay.listen("hdr");
        Socket s = senderSocket(relay)) {
      CompletableFuture<RawHttp> res = sendAsync(s, "GET /hdr HTTP/1.1\r\nHost: localhost\r\n"
          + "ServiceBusAuthorization: " + RelayFixture.token("hdr") + "\r\n\r\n", null);
      JsonNode r = nextRequest(l);
      l.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":200,"
          + "\"responseHeaders\":{\"X-Ok\":\"yes\",\"X(bad)\":\"1\",\"X Sp\":\"1\",\"X-\u00e9\":\"1\","
          + "\"X-Split\":\"a\\r\\nX-Injected: 1\",\"X-Tok!#$%&'*+.^_`|~\":\"2\"},\"body\":false}}");
      RawHttp answer = res.get(10, TimeUnit.SECONDS);
      assertThat(answer.status).isEqualTo(200);
      assertThat(answer.headers.get("X-Ok")).isEqualTo("yes");
      assertThat(answer.headers.get("X-Tok!#$%&'*+.^_`|~")).isEqualTo("2");
      assertThat(answer.headers.keySet()).noneMatch(k -> k.startsWith("X(") || k.startsWith("X Sp")
          || k.startsWith("X-\u00e9") || k.equals("X-Split") || k.equals("X-Injected"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"abc\"", "99", "null"})
  void invalidStatusCodeGives502AndTheListenerKeepsServing(String status) throws Exception {
    try (RelayFixture relay = RelayFixture.start(false); TestListener l = relay.listen("bad")) {
      String req = "GET /bad HTTP/1.1\r\nHost: localhost\r\nServiceBusAuthorization: " + RelayFixture.token("bad")
          + "\r\n\r\n";
      try (Socket s = senderSocket(relay)) {
        CompletableFuture<RawHttp> res = sendAsync(s, req, null);
        JsonNode r = nextRequest(l);
        l.control.send("{\"response\":{\"requestId\":\"unknown-id\",\"statusCode\":200,\"body\":true}}");
        l.control.send(new byte[] {1, 2, 3});
        l.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":" + status
            + ",\"body\":false}}");
        RawHttp answer = res.get(10, TimeUnit.SECONDS);
        assertThat(answer.status).isEqualTo(502);
        assertThat(answer.headers).doesNotContainKey("Via");
        assertThat(JSON.readTree(answer.body).get("error").get("code").asText()).isEqualTo("BadGateway");
      }
      try (Socket s = senderSocket(relay)) {
        CompletableFuture<RawHttp> res = sendAsync(s, req, null);
        JsonNode r = nextRequest(l);
        l.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":200,\"body\":false}}");
        assertThat(res.get(10, TimeUnit.SECONDS).status).isEqualTo(200);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void listenerThatDisconnectsGives502(boolean beforeAnswer) throws Exception {
    try (RelayFixture relay = RelayFixture.start(false); TestListener l = relay.listen("drop");
        Socket s = senderSocket(relay)) {
      CompletableFuture<RawHttp> res = sendAsync(s, "GET /drop HTTP/1.1\r\nHost: localhost\r\n"
          + "ServiceBusAuthorization: " + RelayFixture.token("drop") + "\r\n\r\n", null);
      JsonNode r = nextRequest(l);
      if (beforeAnswer) {
        l.control.closeConnection(1000, "bye");
      } else {
        RawWs rv = RawWs.connect(URI.create(r.get("address").asText()), Map.of(), relay.ssl);
        rv.close();
      }
      RawHttp answer = res.get(10, TimeUnit.SECONDS);
      assertThat(answer.status).isEqualTo(502);
    }
  }

  @org.junit.jupiter.api.Test
  void concurrencyLimitPerListenerGives503() throws Exception {
    try (RelayFixture relay = RelayFixture.start(false, b -> b.maxHttpRequestsPerListener(1));
        TestListener l = relay.listen("busy"); Socket s1 = senderSocket(relay); Socket s2 = senderSocket(relay)) {
      String req = "GET /busy HTTP/1.1\r\nHost: localhost\r\nServiceBusAuthorization: " + RelayFixture.token("busy")
          + "\r\n\r\n";
      CompletableFuture<RawHttp> first = sendAsync(s1, req, null);
      JsonNode r = nextRequest(l);
      RawHttp second = sendAsync(s2, req, null).get(10, TimeUnit.SECONDS);
      assertThat(second.status).isEqualTo(503);
      assertThat(JSON.readTree(second.body).get("error").get("code").asText()).isEqualTo("ServerBusy");
      l.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":200,\"body\":false}}");
      assertThat(first.get(10, TimeUnit.SECONDS).status).isEqualTo(200);
    }
  }

  @org.junit.jupiter.api.Test
  void totalConcurrencyLimitGives503AndFreesItsSlot() throws Exception {
    try (RelayFixture relay = RelayFixture.start(false, b -> b.maxHttpRequests(1));
        TestListener a = relay.listen("one"); TestListener b = relay.listen("two")) {
      String reqA = "GET /one HTTP/1.1\r\nHost: localhost\r\nServiceBusAuthorization: " + RelayFixture.token("one")
          + "\r\n\r\n";
      String reqB = "GET /two HTTP/1.1\r\nHost: localhost\r\nServiceBusAuthorization: " + RelayFixture.token("two")
          + "\r\n\r\n";
      try (Socket s1 = senderSocket(relay); Socket s2 = senderSocket(relay)) {
        CompletableFuture<RawHttp> first = sendAsync(s1, reqA, null);
        JsonNode r = nextRequest(a);
        RawHttp second = sendAsync(s2, reqB, null).get(10, TimeUnit.SECONDS);
        assertThat(second.status).isEqualTo(503);
        a.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":200,\"body\":false}}");
        assertThat(first.get(10, TimeUnit.SECONDS).status).isEqualTo(200);
      }
      try (Socket s3 = senderSocket(relay)) {
        CompletableFuture<RawHttp> third = sendAsync(s3, reqB, null);
        JsonNode r = nextRequest(b);
        b.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":200,\"body\":false}}");
        assertThat(third.get(10, TimeUnit.SECONDS).status).isEqualTo(200);
      }
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> relay.server.activeHttpRequestCount() == 0);
    }
  }

  @org.junit.jupiter.api.Test
  void emptyBinaryAfterABodylessResponseIsToleratedAsHycoHttpsSendsIt() throws Exception {
    try (RelayFixture relay = RelayFixture.start(false); TestListener l = relay.listen("quirk")) {
      String req = "GET /quirk HTTP/1.1\r\nHost: localhost\r\nServiceBusAuthorization: " + RelayFixture.token("quirk")
          + "\r\n\r\n";
      for (int i = 0; i < 2; i++) {
        try (Socket s = senderSocket(relay)) {
          CompletableFuture<RawHttp> res = sendAsync(s, req, null);
          JsonNode r = nextRequest(l);
          l.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":204,\"body\":false}}");
          l.control.send(new byte[0]);
          assertThat(res.get(10, TimeUnit.SECONDS).status).isEqualTo(204);
        }
      }
      assertThat(l.control.isOpen()).isTrue();
      // a binary message that follows no response still closes the channel (1003)
      l.control.send(new byte[] {1});
      assertThat(l.control.awaitClosed(10_000).code()).isEqualTo(1003);
    }
  }

  /**
   * The relay passes a rendezvous body frame on as its bytes arrive: the sender gets the first part
   * of a 1 MiB frame while the rest of that frame has not been sent (the relay gathered whole frames,
   * up to its 4 MiB frame limit per request, before StreamingFrameDecoder).
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aBodyFramePassesOnBeforeItIsComplete(boolean tls) throws Exception {
    byte[] payload = new byte[1 << 20];
    new Random(7).nextBytes(payload);
    try (RelayFixture relay = RelayFixture.start(tls); TestListener l = relay.listen("partial");
        Socket s = senderSocket(relay)) {
      s.getOutputStream().write(("GET /partial HTTP/1.1\r\nHost: localhost\r\nServiceBusAuthorization: "
          + RelayFixture.token("partial") + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      JsonNode r = nextRequest(l);
      try (RawWs rv = RawWs.connect(URI.create(r.get("address").asText()), Map.of(), relay.ssl)) {
        assertThat(rv.status).isEqualTo(101);
        rv.sendText("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":200,"
            + "\"responseHeaders\":{\"Content-Length\":\"" + payload.length + "\"},\"body\":true}}");
        rv.writeHeader(RawWs.BINARY, true, payload.length);
        rv.writeRaw(new byte[4]); // mask key 0: the payload goes as it is
        int first = 300_000;
        rv.writeRaw(Arrays.copyOfRange(payload, 0, first));
        // the head and at least 100,000 body bytes arrive while the frame is 700 kB short
        InputStream in = s.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        int headEnd = -1;
        while (headEnd < 0 || got.size() - headEnd < 100_000) {
          int n = in.read(buf);
          assertThat(n).as("the relay sent the body's first bytes before the frame was complete").isPositive();
          got.write(buf, 0, n);
          if (headEnd < 0) {
            String t = got.toString(StandardCharsets.ISO_8859_1);
            int i = t.indexOf("\r\n\r\n");
            headEnd = i < 0 ? -1 : i + 4;
          }
        }
        assertThat(got.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
        rv.writeRaw(Arrays.copyOfRange(payload, first, payload.length));
        while (got.size() - headEnd < payload.length) {
          int n = in.read(buf);
          assertThat(n).isPositive();
          got.write(buf, 0, n);
        }
        byte[] all = got.toByteArray();
        assertThat(Arrays.copyOfRange(all, headEnd, all.length)).isEqualTo(payload);
      }
    }
  }

  /** A listener that breaks the WebSocket protocol on its rendezvous socket: 502, and the relay serves on. */
  @org.junit.jupiter.api.Test
  void aProtocolViolationOnTheRendezvousGives502() throws Exception {
    try (RelayFixture relay = RelayFixture.start(false); TestListener l = relay.listen("broken")) {
      String req = "GET /broken HTTP/1.1\r\nHost: localhost\r\nServiceBusAuthorization: " + RelayFixture.token("broken")
          + "\r\n\r\n";
      try (Socket s = senderSocket(relay)) {
        CompletableFuture<RawHttp> res = sendAsync(s, req, null);
        JsonNode r = nextRequest(l);
        try (RawWs rv = RawWs.connect(URI.create(r.get("address").asText()), Map.of(), relay.ssl)) {
          assertThat(rv.status).isEqualTo(101);
          rv.writeRaw(new byte[] {(byte) 0x82, 0x01, 0x05, 0, 0, 0}); // an unmasked frame
          RawHttp answer = res.get(10, TimeUnit.SECONDS);
          assertThat(answer.status).isEqualTo(502);
          assertThat(answer.bodyText()).contains("BadGateway").doesNotContain("Exception");
          assertThat(rv.awaitEof(10_000)).isTrue();
        }
      }
      try (Socket s = senderSocket(relay)) {
        CompletableFuture<RawHttp> res = sendAsync(s, req, null);
        JsonNode r = nextRequest(l);
        l.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":204,\"body\":false}}");
        assertThat(res.get(10, TimeUnit.SECONDS).status).isEqualTo(204);
      }
    }
  }

  static byte[] readAll(InputStream in) throws Exception {
    return in.readAllBytes();
  }
}
