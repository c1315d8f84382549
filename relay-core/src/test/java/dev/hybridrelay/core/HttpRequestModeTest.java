package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridrelay.server.LocalRelayExtension;
import dev.hybridrelay.testkit.RawHttp;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** HTTP request mode end to end: stock HTTP clients, the local relay, {@link RelayRequestHandler}s. */
@Timeout(120)
class HttpRequestModeTest {
  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.create();

  static final String HC = "web";
  static final List<RelayListener> listeners = new ArrayList<>();
  static RelayHttpSender sender;
  static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(20)).build();

  @BeforeAll
  static void listen() throws Exception {
    String cs = relay.connectionString(HC);
    for (int i = 0; i < 3; i++) {
      RelayListener l = RelayListener.builder(cs).requestHandler(handler(i)).build();
      l.open();
      listeners.add(l);
    }
    sender = RelayHttpSender.create(cs);
  }

  @AfterAll
  static void close() throws Exception {
    for (RelayListener l : listeners) {
      l.close();
    }
  }

  static RelayRequestHandler handler(int index) {
    return (req, res) -> {
      res.headers().put("X-Listener", String.valueOf(index));
      res.headers().put("X-Method", req.method());
      res.headers().put("X-Remote-Port", String.valueOf(req.remoteAddress().getPort()));
      res.headers().put("X-Saw-Relay-Token", String.valueOf(req.header("ServiceBusAuthorization").isPresent()));
      res.headers().put("X-Request-Via", req.header("Via").orElse(""));
      req.header("X-Custom").ifPresent(v -> res.headers().put("X-Echo-Custom", v));
      String p = req.path().split("\\?")[0];
      if (p.startsWith("/download/")) {
        long n = Long.parseLong(p.substring("/download/".length()));
        HttpTestSupport.writeSeeded(res.body(), n, n);
      } else if (p.equals("/upload")) {
        res.body().write(HttpTestSupport.digest(req.body()).getBytes(StandardCharsets.UTF_8));
      } else if (p.startsWith("/status/")) {
        res.setStatus(Integer.parseInt(p.substring("/status/".length())));
        res.setStatusDescription("Custom Reason");
      } else if (p.equals("/head")) {
        res.headers().put("Content-Length", "1234");
      } else if (p.equals("/stream")) {
        res.body().write("first\n".getBytes(StandardCharsets.UTF_8));
        res.body().flush(); // commits and streams over the rendezvous socket
        if (!streamGate.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the client never read the first part");
        }
        res.body().write("second".getBytes(StandardCharsets.UTF_8));
      } else if (p.equals("/slowstart")) {
        res.body().write("a".getBytes(StandardCharsets.UTF_8));
        Thread.sleep(2_500); // past the 2 s inline window: the rest streams
        res.body().write("b".getBytes(StandardCharsets.UTF_8));
      } else if (p.equals("/gone")) {
        res.setStatus(204);
      } else {
        req.body().readAllBytes();
        res.body().write(("hello " + req.method() + " " + req.path()).getBytes(StandardCharsets.UTF_8));
      }
    };
  }

  static final java.util.concurrent.CountDownLatch streamGate = new java.util.concurrent.CountDownLatch(1);

  @Test
  void flushedResponseStreamsBeforeTheHandlerFinishes() throws Exception {
    HttpResponse<InputStream> r = client.send(sender.newRequest("/stream").timeout(Duration.ofSeconds(60)).GET().build(),
        BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    try (InputStream in = r.body()) {
      byte[] first = in.readNBytes(6);
      assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("first\n");
      streamGate.countDown(); // only now does the handler write the rest
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("second");
    }
  }

  @Test
  void responseStillBeingWrittenAfterTwoSecondsIsStreamed() throws Exception {
    HttpResponse<byte[]> r = send(sender.newRequest("/slowstart").GET());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("ab");
    assertThat(r.headers().firstValue("Content-Length")).isEmpty(); // streamed (chunked), not inline
  }

  static HttpResponse<byte[]> send(HttpRequest.Builder b) throws Exception {
    return client.send(b.timeout(Duration.ofSeconds(60)).build(), BodyHandlers.ofByteArray());
  }

  @Test
  void getHeadPostPutDelete() throws Exception {
    HttpResponse<byte[]> get = send(sender.newRequest("/a/b?x=1&y=%20z").GET());
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(new String(get.body(), StandardCharsets.UTF_8)).isEqualTo("hello GET /a/b?x=1&y=%20z");
    assertThat(get.headers().firstValue("X-Saw-Relay-Token")).hasValue("false");
    assertThat(get.headers().firstValue("Via")).hasValueSatisfying(v -> assertThat(v).contains("localhost"));

    HttpResponse<byte[]> head = send(sender.newRequest("/head").method("HEAD", BodyPublishers.noBody()));
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Length")).hasValue("1234");
    assertThat(head.body()).isEmpty();

    HttpResponse<byte[]> post = send(sender.newRequest("/p").POST(BodyPublishers.ofString("x")));
    assertThat(new String(post.body(), StandardCharsets.UTF_8)).isEqualTo("hello POST /p");
    HttpResponse<byte[]> put = send(sender.newRequest("/p").PUT(BodyPublishers.ofString("y")));
    assertThat(put.headers().firstValue("X-Method")).hasValue("PUT");
    HttpResponse<byte[]> delete = send(sender.newRequest("/gone").DELETE());
    assertThat(delete.statusCode()).isEqualTo(204);
    assertThat(delete.headers().firstValue("X-Method")).hasValue("DELETE");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 65_535, 65_536, 65_537, 10 * 1024 * 1024})
  void bodiesOfEverySizeBothWays(int size) throws Exception {
    byte[] data = HttpTestSupport.bytes(size, size + 7);
    String expected = HttpTestSupport.sha256(data) + ":" + size;
    HttpResponse<byte[]> up = send(sender.newRequest("/upload").POST(BodyPublishers.ofByteArray(data)));
    assertThat(up.statusCode()).isEqualTo(200);
    assertThat(new String(up.body(), StandardCharsets.UTF_8)).isEqualTo(expected);
    HttpResponse<byte[]> putUp = send(sender.newRequest("/upload").PUT(BodyPublishers.ofByteArray(data)));
    assertThat(new String(putUp.body(), StandardCharsets.UTF_8)).isEqualTo(expected);

    HttpResponse<byte[]> down = send(sender.newRequest("/download/" + size).GET());
    assertThat(down.statusCode()).isEqualTo(200);
    assertThat(HttpTestSupport.digest(new java.io.ByteArrayInputStream(down.body())))
        .isEqualTo(HttpTestSupport.seededDigest(size, size));
  }

  @Test
  void chunkedUploadOfUnknownLength() throws Exception {
    for (int size : new int[] {0, 10, 3 * 1024 * 1024 + 5}) {
      byte[] data = HttpTestSupport.bytes(size, 99);
      HttpResponse<byte[]> r = send(sender.newRequest("/upload")
          .POST(BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(data))));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new String(r.body(), StandardCharsets.UTF_8))
          .isEqualTo(HttpTestSupport.sha256(data) + ":" + size);
    }
  }

  @Test
  void hundredSequentialRequestsOnOneKeepAliveConnection() throws Exception {
    URI u = sender.uri();
    Set<String> ports = new HashSet<>();
    try (Socket s = new Socket(u.getHost(), u.getPort())) {
      s.setSoTimeout(60_000);
      OutputStream out = s.getOutputStream();
      InputStream in = new java.io.BufferedInputStream(s.getInputStream());
      for (int i = 0; i < 100; i++) {
        String body = "n=" + i;
        String req = (i % 2 == 0 ? "POST" : "GET") + " /" + HC + "/k/" + i + " HTTP/1.1\r\n"
            + "Host: localhost\r\n" + "ServiceBusAuthorization: " + sender.token() + "\r\n"
            + (i % 2 == 0 ? "Content-Length: " + body.length() + "\r\n\r\n" + body : "\r\n");
        out.write(req.getBytes(StandardCharsets.UTF_8));
        out.flush();
        RawHttp r = RawHttp.read(in, false);
        assertThat(r.status).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("hello " + (i % 2 == 0 ? "POST" : "GET") + " /k/" + i);
        assertThat(r.headers.get("Connection")).isNotEqualToIgnoringCase("close");
        ports.add(r.headers.get("X-Remote-Port"));
      }
    }
    assertThat(ports).hasSize(1);
  }

  @Test
  void fiftyConcurrentRequestsOverThreeListeners() throws Exception {
    List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      all.add(client.sendAsync(sender.newRequest("/c/" + i).timeout(Duration.ofSeconds(60)).GET().build(),
          BodyHandlers.ofByteArray()));
    }
    Set<String> used = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      HttpResponse<byte[]> r = all.get(i).get(90, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("hello GET /c/" + i);
      used.add(r.headers().firstValue("X-Listener").orElseThrow());
    }
    assertThat(used).hasSizeGreaterThan(1);
  }

  @Test
  void statusCodesAndCustomHeadersBothWays() throws Exception {
    for (int status : new int[] {201, 302, 400, 418, 502, 504}) {
      HttpResponse<byte[]> r = send(sender.newRequest("/status/" + status).header("X-Custom", "v-" + status).GET());
      assertThat(r.statusCode()).isEqualTo(status);
      assertThat(r.headers().firstValue("X-Echo-Custom")).hasValue("v-" + status);
      assertThat(r.headers().firstValue("X-Request-Via")).hasValueSatisfying(v -> assertThat(v).contains("localhost"));
    }
    URI u = sender.uri();
    try (Socket s = new Socket(u.getHost(), u.getPort())) {
      s.setSoTimeout(60_000);
      s.getOutputStream().write(("GET /" + HC + "/status/299 HTTP/1.1\r\nHost: localhost\r\nX-Custom: a\r\n"
          + "X-Custom: b\r\nsb-hc-ignored: 1\r\nServiceBusAuthorization: " + sender.token() + "\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      RawHttp r = RawHttp.read(s.getInputStream(), false);
      assertThat(r.status).isEqualTo(299);
      assertThat(r.reason).isEqualTo("Custom Reason");
      assertThat(r.headers.get("X-Echo-Custom")).isEqualTo("a, b");
    }
  }

  @Test
  void tokenInTheQueryIsRemovedBeforeTheListener() throws Exception {
    String token = java.net.URLEncoder.encode(sender.token(), StandardCharsets.UTF_8);
    HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(sender.uri("/q?a=1&sb-hc-token=" + token + "&b=2"))
        .GET().build(), BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("hello GET /q?a=1&b=2");
  }

  @Test
  void expectContinueIsAnswered() throws Exception {
    URI u = sender.uri();
    for (int size : new int[] {10, 200_000}) {
      try (Socket s = new Socket(u.getHost(), u.getPort())) {
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        InputStream in = new java.io.BufferedInputStream(s.getInputStream());
        out.write(("POST /" + HC + "/upload HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
            + "Content-Length: " + size + "\r\nServiceBusAuthorization: " + sender.token() + "\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
        out.flush();
        RawHttp interim = RawHttp.read(in, false);
        assertThat(interim.status).isEqualTo(100);
        byte[] data = HttpTestSupport.bytes(size, 5);
        out.write(data);
        out.flush();
        RawHttp r = RawHttp.read(in, false);
        assertThat(r.status).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo(HttpTestSupport.sha256(data) + ":" + size);
      }
    }
  }

  @Test
  void http10SenderGetsACompleteResponse() throws Exception {
    URI u = sender.uri();
    try (Socket s = new Socket(u.getHost(), u.getPort())) {
      s.setSoTimeout(60_000);
      s.getOutputStream().write(("GET /" + HC + "/download/100000 HTTP/1.0\r\nServiceBusAuthorization: "
          + sender.token() + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      RawHttp r = RawHttp.read(s.getInputStream(), false);
      assertThat(r.status).isEqualTo(200);
      assertThat(HttpTestSupport.digest(new java.io.ByteArrayInputStream(r.body)))
          .isEqualTo(HttpTestSupport.seededDigest(100_000, 100_000));
    }
  }
}
