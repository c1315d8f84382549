package dev.hybridrelay.forward;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayHttpSender;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code forward -H} in the library: a sender's plain HTTP request → the local relay (request mode)
 * → {@link HttpForwarder} → WireMock, over real sockets.
 */
@Timeout(120)
class HttpForwarderTest {
  private static final String RULE = "http-forward";
  private static final String KEY = LocalRelayServer.Builder.randomKey();
  private static final AtomicInteger HCS = new AtomicInteger();
  private static LocalRelayServer relay;
  private static WireMockServer backend;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private HttpForwarder forwarder;
  private RelayHttpSender sender;
  private String hc;

  @BeforeAll
  static void start() throws Exception {
    relay = LocalRelayServer.builder().port(0).rule(RULE, KEY).autoCreate(true).build().start();
    backend = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().dynamicHttpsPort()
        .containerThreads(20));
    backend.start();
  }

  @AfterAll
  static void stop() {
    if (backend != null) {
      backend.stop();
    }
    if (relay != null) {
      relay.shutdown(Duration.ofSeconds(1));
    }
  }

  @BeforeEach
  void resetBackend() {
    backend.resetAll();
  }

  @AfterEach
  void closeForwarder() {
    if (forwarder != null) {
      forwarder.close();
    }
  }

  private void forward(String targetPath, Duration requestTimeout) throws Exception {
    forward(URI.create("http://127.0.0.1:" + backend.port() + targetPath), requestTimeout);
  }

  private void forward(URI target, Duration requestTimeout) throws Exception {
    forward(target, requestTimeout, false);
  }

  private void forward(URI target, Duration requestTimeout, boolean insecure) throws Exception {
    hc = "web-" + HCS.incrementAndGet();
    RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, hc));
    forwarder = HttpForwarder.builder(cs).target(target).requestTimeout(requestTimeout).insecure(insecure).build();
    forwarder.start();
    sender = RelayHttpSender.create(cs);
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void pathPrefixQueryAndHeadersBothWays() throws Exception {
    backend.stubFor(get(urlEqualTo("/app/orders/17?expand=lines&x=%2F"))
        .willReturn(aResponse().withStatus(201).withStatusMessage("Made")
            .withHeader("X-Answer", "42").withHeader("Location", "/app/orders/17")
            .withHeader("Connection", "close, X-Hop").withHeader("X-Hop", "secret-hop")
            .withBody("{\"id\":17}")));
    forward("/app", Duration.ofSeconds(30));

    HttpResponse<String> r = client.send(sender.newRequest("/orders/17?expand=lines&x=%2F")
        .header("X-Custom", "one").header("Accept", "application/json").GET().build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.body()).isEqualTo("{\"id\":17}");
    assertThat(r.headers().firstValue("X-Answer")).hasValue("42");
    assertThat(r.headers().firstValue("Location")).hasValue("/app/orders/17");
    assertThat(r.headers().firstValue("X-Hop")).isEmpty();
    assertThat(r.headers().firstValue("Via").orElse("")).contains("1.1 hybridrelay");

    List<LoggedRequest> got = backend.findAll(com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(anyUrl()));
    assertThat(got).hasSize(1);
    LoggedRequest seen = got.get(0);
    assertThat(seen.getUrl()).isEqualTo("/app/orders/17?expand=lines&x=%2F");
    assertThat(seen.getHeader("X-Custom")).isEqualTo("one");
    assertThat(seen.getHeader("Accept")).isEqualTo("application/json");
    assertThat(seen.getHeader("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(seen.getHeader("X-Forwarded-Proto")).isEqualTo("http");
    assertThat(seen.getHeader("X-Forwarded-Prefix")).isEqualTo("/" + hc);
    assertThat(seen.getHeader("X-Forwarded-Host")).isEqualTo(sender.uri().getRawAuthority());
    assertThat(seen.getHeader("Via")).endsWith("1.1 hybridrelay");
    assertThat(seen.getHeader("Host")).isEqualTo("127.0.0.1:" + backend.port());
    assertThat(seen.containsHeader("ServiceBusAuthorization")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(ints = {200, 204, 301, 400, 404, 418, 500, 502, 503})
  void statusCodesPassThrough(int status) throws Exception {
    backend.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(status)
        .withHeader("Location", "/elsewhere").withBody(status == 204 ? "" : "status " + status)));
    forward("/", Duration.ofSeconds(30));
    HttpResponse<String> r = client.send(sender.newRequest("/s").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(r.body()).isEqualTo(status == 204 ? "" : "status " + status);
    assertThat(r.headers().firstValue("X-HybridRelay-Error")).isEmpty();
  }

  @Test
  void postBodiesReachTheTargetIntact() throws Exception {
    backend.stubFor(post(urlPathEqualTo("/upload")).willReturn(aResponse().withStatus(200).withBody("ok")));
    forward("/", Duration.ofSeconds(30));
    for (int size : new int[] {0, 1, 65_535, 65_536, 65_537, 3 * 1024 * 1024}) {
      byte[] body = random(size, size);
      HttpResponse<String> r = client.send(sender.newRequest("/upload?n=" + size)
          .header("Content-Type", "application/octet-stream")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("size %d", size).isEqualTo(200);
      LoggedRequest seen = backend.findAll(com.github.tomakehurst.wiremock.client.WireMock
          .postRequestedFor(urlEqualTo("/upload?n=" + size))).get(0);
      assertThat(sha256(seen.getBody())).as("size %d", size).isEqualTo(sha256(body));
      assertThat(seen.getHeader("Content-Type")).isEqualTo("application/octet-stream");
    }
  }

  @Test
  void chunkedUploadStreamsThrough() throws Exception {
    backend.stubFor(post(urlPathEqualTo("/chunked")).willReturn(aResponse().withStatus(202)));
    forward("/", Duration.ofSeconds(30));
    byte[] body = random(2 * 1024 * 1024 + 17, 7);
    HttpResponse<String> r = client.send(sender.newRequest("/chunked")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(202);
    LoggedRequest seen = backend.findAll(com.github.tomakehurst.wiremock.client.WireMock
        .postRequestedFor(urlEqualTo("/chunked"))).get(0);
    assertThat(sha256(seen.getBody())).isEqualTo(sha256(body));
  }

  @Test
  void largeDownloadIsByteExact() throws Exception {
    byte[] body = random(24 * 1024 * 1024 + 3, 11);
    backend.stubFor(get(urlEqualTo("/big")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/octet-stream").withBody(body)));
    forward("/", Duration.ofSeconds(30));
    HttpResponse<InputStream> r = client.send(sender.newRequest("/big").GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    long n = 0;
    try (InputStream in = r.body()) {
      byte[] buf = new byte[65536];
      int k;
      while ((k = in.read(buf)) >= 0) {
        md.update(buf, 0, k);
        n += k;
      }
    }
    assertThat(n).isEqualTo(body.length);
    assertThat(HexFormat.of().formatHex(md.digest())).isEqualTo(sha256(body));
    assertThat(forwarder.stats().bytesToRelay()).isGreaterThanOrEqualTo(body.length);
  }

  @Test
  void chunkedResponseArrivesWhole() throws Exception {
    byte[] body = random(300_000, 3);
    backend.stubFor(get(urlEqualTo("/dribble")).willReturn(aResponse().withStatus(200).withBody(body)
        .withChunkedDribbleDelay(20, 1000)));
    forward("/", Duration.ofSeconds(30));
    HttpResponse<byte[]> r = client.send(sender.newRequest("/dribble").GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(sha256(r.body())).isEqualTo(sha256(body));
  }

  @Test
  void headKeepsTheLengthWithoutABody() throws Exception {
    backend.stubFor(head(urlEqualTo("/file")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Length", "12345").withHeader("ETag", "\"v1\"")));
    forward("/", Duration.ofSeconds(30));
    HttpResponse<byte[]> r = client.send(sender.newRequest("/file")
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEmpty();
    assertThat(r.headers().firstValue("ETag")).hasValue("\"v1\"");
    assertThat(r.headers().firstValue("Content-Length")).hasValue("12345");
  }

  @Test
  void slowTargetGives504() throws Exception {
    backend.stubFor(get(urlEqualTo("/slow")).willReturn(aResponse().withStatus(200).withBody("late")
        .withFixedDelay(8_000)));
    forward("/", Duration.ofSeconds(1));
    HttpResponse<String> r = client.send(sender.newRequest("/slow").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(r.headers().firstValue("X-HybridRelay-Error")).hasValue("timeout");
    assertThat(r.body()).contains("did not answer in time").doesNotContain("127.0.0.1");
    assertThat(forwarder.stats().failedConnections()).isEqualTo(1);
  }

  @Test
  void unreachableTargetGives502() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    forward(URI.create("http://127.0.0.1:" + closedPort + "/"), Duration.ofSeconds(30));
    HttpResponse<String> r = client.send(sender.newRequest("/x").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("X-HybridRelay-Error")).hasValue("unreachable");
    assertThat(r.body()).doesNotContain(Integer.toString(closedPort));
  }

  @Test
  void keepAliveRequestsReuseTheForwarder() throws Exception {
    backend.stubFor(get(urlPathEqualTo("/n")).willReturn(aResponse().withStatus(200).withBody("n")));
    forward("/", Duration.ofSeconds(30));
    for (int i = 0; i < 50; i++) {
      HttpResponse<String> r = client.send(sender.newRequest("/n?i=" + i).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
    }
    assertThat(forwarder.stats().totalConnections()).isEqualTo(50);
    assertThat(forwarder.stats().failedConnections()).isZero();
  }

  @Test
  void httpsTargetIsVerifiedUnlessInsecure() throws Exception {
    backend.stubFor(get(urlEqualTo("/tls")).willReturn(aResponse().withStatus(200).withBody("over tls")));
    URI target = URI.create("https://localhost:" + backend.httpsPort() + "/");
    forward(target, Duration.ofSeconds(30));
    HttpResponse<String> r = client.send(sender.newRequest("/tls").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("WireMock's self-signed certificate is not in the JDK trust store").isEqualTo(502);
    assertThat(r.headers().firstValue("X-HybridRelay-Error")).hasValue("failed");
    forwarder.close();

    forward(target, Duration.ofSeconds(30), true);
    r = client.send(sender.newRequest("/tls").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("over tls");
  }

  @Test
  void aResponseBodyThatStallsIsCutNotPassedAsComplete() throws Exception {
    // a backend that sends the head and 200 kB of a 400 kB body, then stalls: the first part commits
    // the response, then the body idles past the forwarder's 1 s
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try (ServerSocket stalling = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        try (java.net.Socket s = stalling.accept()) {
          java.io.InputStream in = s.getInputStream();
          int matched = 0;
          while (matched < 4) { // read the request head
            int c = in.read();
            if (c < 0) {
              return;
            }
            matched = (c == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (c == '\r' ? 1 : 0);
          }
          java.io.OutputStream out = s.getOutputStream();
          out.write("HTTP/1.1 200 OK\r\nContent-Length: 400000\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          out.write(random(200_000, 5));
          out.flush();
          release.await(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // the test asserts on the sender's side
        }
      }, "stalling-backend");
      t.setDaemon(true);
      t.start();
      forward(URI.create("http://127.0.0.1:" + stalling.getLocalPort() + "/"), Duration.ofSeconds(1));
      HttpResponse<InputStream> r = client.send(sender.newRequest("/stall").GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertThat(r.statusCode()).isEqualTo(200);
      long got = 0;
      boolean broken = false;
      try (InputStream in = r.body()) {
        byte[] buf = new byte[65536];
        int n;
        while ((n = in.read(buf)) >= 0) {
          got += n;
        }
      } catch (java.io.IOException e) {
        broken = true;
      }
      assertThat(broken || got < 400_000).as("the sender must not get a complete-looking body").isTrue();
      assertThat(broken).as("the sender's response is broken (connection dropped), got %d bytes", got).isTrue();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> forwarder.stats().failedConnections() == 1 && forwarder.stats().activeConnections() == 0);
    } finally {
      release.countDown();
    }
  }

  @Test
  void webSocketConnectsAreRefused() throws Exception {
    forward("/", Duration.ofSeconds(30));
    RelayConnectionString cs = RelayConnectionString.parse(relay.connectionString(RULE, hc));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.hybridrelay.core.RelaySender.builder(cs).build().connect())
        .isInstanceOf(dev.hybridrelay.core.RelayConnectException.class)
        .hasMessageContaining("404");
  }
}
