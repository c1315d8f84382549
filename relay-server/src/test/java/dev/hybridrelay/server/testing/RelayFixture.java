package dev.hybridrelay.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridrelay.server.LocalRelayServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/** A started relay (ws or wss) plus the client-side helpers the end-to-end tests share. */
public final class RelayFixture implements AutoCloseable {
  public static final String RULE = "RootManageSharedAccessKey";
  public static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  public static final String SEND_RULE = "send-only";
  public static final String SEND_KEY = "c2VuZC1vbmx5LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc=";
  public static final String LISTEN_RULE = "listen-only";
  public static final String LISTEN_KEY = "bGlzdGVuLW9ubHkta2V5LWZvci10ZXN0cy0wMTIzNDU=";
  private static final ObjectMapper JSON = new ObjectMapper();

  public final LocalRelayServer server;
  public final SSLContext ssl;

  private RelayFixture(LocalRelayServer server, SSLContext ssl) {
    this.server = server;
    this.ssl = ssl;
  }

  /** Starts a relay with test rules, auto-create and short timeouts; {@code more} may override. */
  public static RelayFixture start(boolean tls, Consumer<LocalRelayServer.Builder> more) {
    LocalRelayServer.Builder b = LocalRelayServer.builder()
        .rule(RULE, KEY)
        .rule(SEND_RULE, SEND_KEY, dev.hybridrelay.server.AccessRights.SEND)
        .rule(LISTEN_RULE, LISTEN_KEY, dev.hybridrelay.server.AccessRights.LISTEN)
        .autoCreate(true)
        .acceptTimeout(Duration.ofSeconds(5))
        .shutdownGracePeriod(Duration.ofMillis(500));
    if (tls) {
      b.tls(TestTls.keystore(), TestTls.PASSWORD);
    }
    more.accept(b);
    try {
      return new RelayFixture(b.build().start(), tls ? TestTls.clientContext() : null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static RelayFixture start(boolean tls) {
    return start(tls, b -> {});
  }

  public String scheme() {
    return ssl == null ? "ws" : "wss";
  }

  public URI uri(String pathAndQuery) {
    return URI.create(scheme() + "://localhost:" + server.port() + pathAndQuery);
  }

  public static String token(String rule, String key, String path, long ttlSeconds) {
    return SasTokens.forPath(rule, key, "localhost", path, ttlSeconds);
  }

  public static String token(String path) {
    return token(RULE, KEY, path, 3600);
  }

  public static Map<String, String> auth(String token) {
    Map<String, String> h = new HashMap<>();
    h.put("ServiceBusAuthorization", token);
    return h;
  }

  public static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Opens a listener control channel with a full-rights token and waits until it is up. */
  public TestListener listen(String hc) {
    return listen(hc, token(hc));
  }

  public TestListener listen(String hc, String token) {
    WsClient control = WsClient.open(uri("/$hc/" + hc + "?sb-hc-action=listen&sb-hc-id=" + java.util.UUID.randomUUID()),
        auth(token), ssl);
    if (!control.isOpen()) {
      throw new AssertionError("listener did not connect: " + control.closedState());
    }
    return new TestListener(this, control);
  }

  /** A Java-WebSocket sender (connect happens in the background; use {@code connectBlocking}). */
  public WsClient sender(String pathAndQuery, Map<String, String> headers) {
    return new WsClient(uri("/$hc/" + pathAndQuery), headers, ssl);
  }

  public RawWs rawSender(String pathAndQuery, Map<String, String> headers) throws IOException {
    return RawWs.connect(uri("/$hc/" + pathAndQuery), headers, ssl);
  }

  /** The listener side of the tests: a control channel plus accept/reject helpers. */
  public static final class TestListener implements AutoCloseable {
    private final RelayFixture fixture;
    public final WsClient control;

    TestListener(RelayFixture fixture, WsClient control) {
      this.fixture = fixture;
      this.control = control;
    }

    public JsonNode nextAccept(long timeoutMs) throws Exception {
      WsClient.Message m = control.nextMessage(timeoutMs);
      JsonNode node = JSON.readTree(m.data());
      if (!node.has("accept")) {
        throw new AssertionError("expected accept, got " + node);
      }
      return node.get("accept");
    }

    public WsClient accept(JsonNode accept, Map<String, String> headers) {
      WsClient c = WsClient.open(URI.create(accept.get("address").asText()), headers, fixture.ssl);
      if (!c.isOpen()) {
        throw new AssertionError("accept failed: " + c.closedState());
      }
      return c;
    }

    public RawWs acceptRaw(JsonNode accept, Map<String, String> headers) throws IOException {
      return RawWs.connect(URI.create(accept.get("address").asText()), headers, fixture.ssl);
    }

    public RawWs reject(JsonNode accept, int status, String description) throws IOException {
      return RawWs.connect(URI.create(accept.get("address").asText() + "&sb-hc-statusCode=" + status
          + "&sb-hc-statusDescription=" + enc(description)), Map.of(), fixture.ssl);
    }

    @Override
    public void close() {
      control.close();
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
