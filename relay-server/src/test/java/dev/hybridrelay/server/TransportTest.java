package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.internal.NettyTransport;
import dev.hybridrelay.server.testing.RelayFixture;
import dev.hybridrelay.server.testing.RelayFixture.TestListener;
import dev.hybridrelay.testkit.RawHttp;
import dev.hybridrelay.server.testing.RawWs;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.net.URI;
import java.util.Map;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The socket transport: chosen by the builder or the system property, both serving alike. */
class TransportTest {

  @Test
  void theDefaultIsEpollWhereItLoadsAndNioOtherwise() {
    boolean epoll = io.netty.channel.epoll.Epoll.isAvailable();
    try (RelayFixture relay = RelayFixture.start(false)) {
      assertThat(relay.server.transportName()).isEqualTo(epoll ? "epoll" : "nio");
    }
  }

  @Test
  void theSystemPropertyChoosesWhenTheBuilderDoesNot() {
    String old = System.getProperty(NettyTransport.PROPERTY);
    try {
      System.setProperty(NettyTransport.PROPERTY, "NIO ");
      try (RelayFixture relay = RelayFixture.start(false)) {
        assertThat(relay.server.transportName()).isEqualTo("nio");
      }
      System.setProperty(NettyTransport.PROPERTY, "kqueue");
      assertThatThrownBy(() -> RelayFixture.start(false))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("Unknown transport 'kqueue': use auto, nio or epoll");
      // the builder wins over the property
      try (RelayFixture relay = RelayFixture.start(false, b -> b.transport(LocalRelayServer.Transport.NIO))) {
        assertThat(relay.server.transportName()).isEqualTo("nio");
      }
    } finally {
      if (old == null) {
        System.clearProperty(NettyTransport.PROPERTY);
      } else {
        System.setProperty(NettyTransport.PROPERTY, old);
      }
    }
  }

  /**
   * Inline requests on connections that land on every I/O loop (connections are given to the loops
   * in turn): some share the listener's loop, where the relay hands the response over without a
   * task, the others do not.
   */
  @ParameterizedTest
  @EnumSource(value = LocalRelayServer.Transport.class, names = {"NIO", "EPOLL"})
  void inlineRequestsOnEveryLoop(LocalRelayServer.Transport transport) throws Exception {
    if (transport == LocalRelayServer.Transport.EPOLL) {
      assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "epoll does not load here");
    }
    int loops = Math.max(2, Runtime.getRuntime().availableProcessors());
    try (RelayFixture relay = RelayFixture.start(false, b -> b.transport(transport));
        TestListener l = relay.listen("loops")) {
      String auth = "ServiceBusAuthorization: " + RelayFixture.token("loops") + "\r\n";
      java.util.List<Socket> sockets = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < loops + 1; i++) {
          sockets.add(HttpRequestWireTest.senderSocket(relay));
        }
        for (int round = 0; round < 3; round++) {
          for (int i = 0; i < sockets.size(); i++) {
            CompletableFuture<RawHttp> res = HttpRequestWireTest.sendAsync(sockets.get(i),
                "POST /loops/" + i + " HTTP/1.1\r\nHost: localhost\r\n" + auth + "Content-Length: 3\r\n\r\n",
                "abc".getBytes(StandardCharsets.UTF_8));
            JsonNode r = HttpRequestWireTest.nextRequest(l);
            assertThat(r.get("requestTarget").asText()).isEqualTo("/loops/" + i);
            assertThat(l.control.nextMessage(10_000).asText()).isEqualTo("abc");
            l.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText()
                + "\",\"statusCode\":200,\"responseHeaders\":{\"X-I\":\"" + i + "\"},\"body\":true}}");
            l.control.send(("answer " + i + "/" + round).getBytes(StandardCharsets.UTF_8));
            RawHttp answer = res.get(10, TimeUnit.SECONDS);
            assertThat(answer.headers.get("X-I")).isEqualTo(String.valueOf(i));
            assertThat(answer.bodyText()).isEqualTo("answer " + i + "/" + round);
          }
        }
      } finally {
        for (Socket s : sockets) {
          s.close();
        }
      }
    }
  }

  /** An inline request and a large one over the rendezvous socket, on each transport. */
  @ParameterizedTest
  @EnumSource(value = LocalRelayServer.Transport.class, names = {"NIO", "EPOLL"})
  void httpRequestsOfBothFormsOnEachTransport(LocalRelayServer.Transport transport) throws Exception {
    if (transport == LocalRelayServer.Transport.EPOLL) {
      assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "epoll does not load here");
    }
    byte[] upload = new byte[150_000];
    new Random(5).nextBytes(upload);
    try (RelayFixture relay = RelayFixture.start(false, b -> b.transport(transport));
        TestListener l = relay.listen("t"); Socket s = HttpRequestWireTest.senderSocket(relay)) {
      assertThat(relay.server.transportName()).isEqualTo(transport.name().toLowerCase(java.util.Locale.ROOT));
      String auth = "ServiceBusAuthorization: " + RelayFixture.token("t") + "\r\n";
      CompletableFuture<RawHttp> res = HttpRequestWireTest.sendAsync(s,
          "GET /t/a HTTP/1.1\r\nHost: localhost\r\n" + auth + "\r\n", null);
      JsonNode r = HttpRequestWireTest.nextRequest(l);
      assertThat(r.get("requestTarget").asText()).isEqualTo("/t/a");
      l.control.send("{\"response\":{\"requestId\":\"" + r.get("id").asText() + "\",\"statusCode\":200,\"body\":true}}");
      l.control.send("inline".getBytes(StandardCharsets.UTF_8));
      assertThat(res.get(10, TimeUnit.SECONDS).bodyText()).isEqualTo("inline");

      res = HttpRequestWireTest.sendAsync(s, "PUT /t/b HTTP/1.1\r\nHost: localhost\r\n" + auth
          + "Content-Length: " + upload.length + "\r\n\r\n", upload);
      JsonNode announce = HttpRequestWireTest.nextRequest(l);
      try (RawWs rv = RawWs.connect(URI.create(announce.get("address").asText()), Map.of(), relay.ssl)) {
        assertThat(rv.status).isEqualTo(101);
        JsonNode full = HttpRequestWireTest.JSON.readTree(rv.readDataOrClose().text()).get("request");
        assertThat(full.get("method").asText()).isEqualTo("PUT");
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        RawWs.Frame f;
        do {
          f = rv.readDataOrClose();
          assertThat(f.opcode()).isIn(RawWs.BINARY, RawWs.CONTINUATION);
          got.write(f.payload());
        } while (!f.fin());
        assertThat(got.toByteArray()).isEqualTo(upload);
        rv.sendText("{\"response\":{\"requestId\":\"" + full.get("id").asText()
            + "\",\"statusCode\":200,\"body\":true}}");
        rv.send(RawWs.BINARY, true, "stored".getBytes(StandardCharsets.UTF_8));
        RawHttp answer = res.get(10, TimeUnit.SECONDS);
        assertThat(answer.status).isEqualTo(200);
        assertThat(answer.bodyText()).isEqualTo("stored");
      }
    }
  }
}
