package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hybridrelay.server.AccessRights;
import dev.hybridrelay.server.LocalRelayExtension;
import dev.hybridrelay.testkit.RawHttp;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Relay-generated errors of HTTP request mode, and the listener's 501/500 defaults. */
@Timeout(120)
class HttpRequestErrorsTest {
  static final String LISTEN_KEY = "bGlzdGVuLW9ubHkta2V5LWZvci10ZXN0cy0wMTIzNDU2Nzg=";

  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.builder()
      .configure(b -> b.httpRequestTimeout(Duration.ofSeconds(2))
          .rule("root", LocalRelayExtension.class.getSimpleName() + "-root-key-0123456789abcdef")
          .rule("listenonly", LISTEN_KEY, AccessRights.LISTEN)
          .hybridConnection("open", false))
      .build();

  static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final ObjectMapper json = new ObjectMapper();

  static HttpResponse<String> get(java.net.URI uri, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET();
    if (token != null) {
      b.header(RelayHttpSender.TOKEN_HEADER, token);
    }
    return client.send(b.build(), BodyHandlers.ofString());
  }

  static JsonNode error(HttpResponse<String> r) throws Exception {
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    assertThat(r.headers().firstValue("Via")).isEmpty();
    JsonNode e = json.readTree(r.body()).get("error");
    assertThat(e.get("message").asText()).contains("TrackingId:").doesNotContain("Exception").doesNotContain("\tat ");
    return e;
  }

  static RelayListener listener(String hc, RelayRequestHandler handler) throws Exception {
    RelayListener.Builder b = RelayListener.builder(relay.server().connectionString("root", hc));
    if (handler != null) {
      b.requestHandler(handler);
    }
    RelayListener l = b.build();
    l.open();
    return l;
  }

  @Test
  void missingOrBadTokenGets401WithChallenge() throws Exception {
    try (RelayListener l = listener("auth", (q, s) -> s.setStatus(200))) {
      RelayHttpSender sender = RelayHttpSender.create(relay.server().connectionString("root", "auth"));
      HttpResponse<String> none = get(sender.uri("/x"), null);
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("SharedAccessSignature");
      assertThat(error(none).get("code").asText()).isEqualTo("TokenMissingOrInvalid");

      String forged = sender.token().replaceAll("sig=[^&]+", "sig=AAAA");
      HttpResponse<String> bad = get(sender.uri("/x"), forged);
      assertThat(bad.statusCode()).isEqualTo(401);
      assertThat(bad.headers().firstValue("WWW-Authenticate")).hasValue("SharedAccessSignature");
      assertThat(bad.body()).doesNotContain("AAAA");

      HttpResponse<String> ok = get(sender.uri("/x"), sender.token());
      assertThat(ok.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void tokenWithoutSendGets403() throws Exception {
    try (RelayListener l = listener("forbidden", (q, s) -> s.setStatus(200))) {
      RelayHttpSender listenOnly = RelayHttpSender.create(relay.server().connectionString("listenonly", "forbidden"));
      HttpResponse<String> r = get(listenOnly.uri("/x"), listenOnly.token());
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(error(r).get("code").asText()).isEqualTo("TokenMissingOrInvalid");
    }
  }

  @Test
  void authorizationHeaderIsTheTokenOnlyWhenNoOtherIsPresent() throws Exception {
    try (RelayListener l = listener("authz", (q, s) -> s.headers().put("X-Authz", q.header("Authorization").orElse("none")))) {
      RelayHttpSender sender = RelayHttpSender.create(relay.server().connectionString("root", "authz"));
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(sender.uri("/x"))
          .header("Authorization", sender.token()).GET().build(), BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("X-Authz")).hasValue("none");
      HttpResponse<String> both = client.send(sender.newRequest("/x").header("Authorization", "Bearer app")
          .GET().build(), BodyHandlers.ofString());
      assertThat(both.headers().firstValue("X-Authz")).hasValue("Bearer app");
    }
  }

  @Test
  void anonymousSendersWhereNoClientAuthorizationIsRequired() throws Exception {
    try (RelayListener l = listener("open", (q, s) -> s.headers().put("X-Authz", q.header("Authorization").orElse("none")))) {
      RelayHttpSender sender = RelayHttpSender.create(relay.server().connectionString("root", "open"));
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(sender.uri("/x"))
          .header("Authorization", "Basic dXNlcjpwYXNz").GET().build(), BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("X-Authz")).hasValue("Basic dXNlcjpwYXNz");
    }
  }

  @Test
  void unknownHybridConnectionAndNoListenerGet404() throws Exception {
    RelayHttpSender unknown = RelayHttpSender.create(relay.server().connectionString("root", "nobody-here"));
    HttpResponse<String> r = get(unknown.uri("/x"), unknown.token());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(error(r).get("message").asText()).startsWith("Endpoint does not exist.");

    listener("left", null).close();
    RelayHttpSender left = RelayHttpSender.create(relay.server().connectionString("root", "left"));
    HttpResponse<String> none = get(left.uri("/x"), left.token());
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(error(none).get("message").asText()).startsWith("There are no listeners connected for the endpoint.");
  }

  @Test
  void listenerThatDoesNotAnswerInTimeGives504() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (RelayListener l = listener("slow", (q, s) -> release.await(60, TimeUnit.SECONDS))) {
      RelayHttpSender sender = RelayHttpSender.create(relay.server().connectionString("root", "slow"));
      HttpResponse<String> r = get(sender.uri("/x"), sender.token());
      assertThat(r.statusCode()).isEqualTo(504);
      assertThat(error(r).get("code").asText()).isEqualTo("GatewayTimeout");
      release.countDown();
      // the relay still serves the hybrid connection afterwards
      try (RelayListener fast = listener("slow2", (q, s) -> s.body().write("ok".getBytes(StandardCharsets.UTF_8)))) {
        RelayHttpSender s2 = RelayHttpSender.create(relay.server().connectionString("root", "slow2"));
        assertThat(get(s2.uri("/x"), s2.token()).body()).isEqualTo("ok");
      }
    } finally {
      release.countDown();
    }
  }

  @Test
  void noHandlerGives501AndThrowingHandlerGives500() throws Exception {
    try (RelayListener l = listener("nohandler", null)) {
      RelayHttpSender sender = RelayHttpSender.create(relay.server().connectionString("root", "nohandler"));
      HttpResponse<String> r = get(sender.uri("/x"), sender.token());
      assertThat(r.statusCode()).isEqualTo(501);
      assertThat(r.headers().firstValue("Via")).isPresent(); // answered by the listener
    }
    try (RelayListener l = listener("throws", (q, s) -> {
      s.headers().put("X-Partial", "yes");
      throw new IllegalStateException("boom sig=secret");
    })) {
      RelayHttpSender sender = RelayHttpSender.create(relay.server().connectionString("root", "throws"));
      HttpResponse<String> r = get(sender.uri("/x"), sender.token());
      assertThat(r.statusCode()).isEqualTo(500);
      assertThat(r.headers().firstValue("X-Partial")).isEmpty();
      assertThat(r.body()).isEmpty();
    }
  }

  @Test
  void jdkHttpHandlerServedThroughTheRelay() throws Exception {
    com.sun.net.httpserver.HttpHandler jdk = exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String reply = exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + body.length;
      exchange.getResponseHeaders().add("X-Jdk", "1");
      byte[] out = reply.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(202, out.length);
      exchange.getResponseBody().write(out);
      exchange.close();
    };
    try (RelayListener l = listener("jdk", RelayRequestHandler.of(jdk))) {
      RelayHttpSender sender = RelayHttpSender.create(relay.server().connectionString("root", "jdk"));
      HttpResponse<String> r = client.send(sender.newRequest("/api/v1?x=2")
          .POST(HttpRequest.BodyPublishers.ofString("12345")).build(), BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(202);
      assertThat(r.headers().firstValue("X-Jdk")).hasValue("1");
      assertThat(r.body()).isEqualTo("POST /api/v1?x=2 5");
    }
  }

  @Test
  void malformedRequestsGet400AndOtherConnectionsAreUnaffected() throws Exception {
    try (RelayListener l = listener("robust", (q, s) -> s.body().write("fine".getBytes(StandardCharsets.UTF_8)))) {
      RelayHttpSender sender = RelayHttpSender.create(relay.server().connectionString("root", "robust"));
      java.net.URI u = sender.uri();
      try (java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort())) {
        s.setSoTimeout(30_000);
        s.getOutputStream().write(("GET /robust/%zz HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        RawHttp r = RawHttp.read(s.getInputStream(), false);
        assertThat(r.status).isEqualTo(400);
      }
      try (java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort())) {
        s.setSoTimeout(30_000);
        s.getOutputStream().write(("GET /robust/x HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(40_000)
            + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        RawHttp r = RawHttp.read(s.getInputStream(), false);
        assertThat(r.status).isIn(431, 400);
      }
      assertThat(get(sender.uri("/x"), sender.token()).body()).isEqualTo("fine");
    }
  }
}
