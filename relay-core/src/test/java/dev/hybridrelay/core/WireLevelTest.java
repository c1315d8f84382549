package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.server.LocalRelayExtension;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.WebSocket;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.enums.Opcode;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Peers that speak raw WebSocket: text messages, fragment floods, a hostile control channel. */
@Timeout(60)
class WireLevelTest {
  @RegisterExtension
  static final LocalRelayExtension relay = LocalRelayExtension.create();

  /** A plain Java-WebSocket client acting as sender, with the token in the header. */
  static final class RawSender extends WebSocketClient {
    final CountDownLatch closed = new CountDownLatch(1);
    volatile int closeCode;

    RawSender(String cs) throws Exception {
      super(uri(cs), headers(cs));
    }

    private static URI uri(String cs) {
      RelayConnectionString c = RelayConnectionString.parse(cs);
      return URI.create("ws://localhost:" + c.endpoint().getPort() + "/$hc/" + c.entityPath()
          + "?sb-hc-action=connect");
    }

    private static Map<String, String> headers(String cs) throws Exception {
      RelayConnectionString c = RelayConnectionString.parse(cs);
      String token = c.tokenProvider().getToken("http://localhost/" + c.entityPath() + "/", Duration.ofMinutes(5)).token();
      return Map.of("ServiceBusAuthorization", token);
    }

    @Override
    public void onOpen(ServerHandshake h) {}

    @Override
    public void onMessage(String message) {}

    @Override
    public void onClose(int code, String reason, boolean remote) {
      closeCode = code;
      closed.countDown();
    }

    @Override
    public void onError(Exception ex) {}
  }

  @Test
  void textMessagesArriveAsUtf8Bytes() throws Exception {
    String cs = relay.connectionString("text");
    try (RelayListener listener = RelayListener.builder(cs).build()) {
      listener.open();
      RawSender raw = new RawSender(cs);
      assertThat(raw.connectBlocking(10, TimeUnit.SECONDS)).isTrue();
      try (RelayConnection l = listener.accept(Duration.ofSeconds(5))) {
        raw.send("grüße ");
        raw.send(ByteBuffer.wrap("and bytes".getBytes(StandardCharsets.UTF_8)));
        byte[] expected = "grüße and bytes".getBytes(StandardCharsets.UTF_8);
        assertThat(l.getInputStream().readNBytes(expected.length)).isEqualTo(expected);
      } finally {
        raw.closeBlocking();
      }
    }
  }

  @Test
  void fragmentedMessageOverTheLimitClosesWith1009() throws Exception {
    String cs = relay.connectionString("flood");
    try (RelayListener listener = RelayListener.builder(cs).maxIncomingMessageSize(64 * 1024).build()) {
      listener.open();
      RawSender raw = new RawSender(cs);
      assertThat(raw.connectBlocking(10, TimeUnit.SECONDS)).isTrue();
      try (RelayConnection l = listener.accept(Duration.ofSeconds(5))) {
        byte[] fragment = new byte[16 * 1024];
        raw.sendFragmentedFrame(Opcode.BINARY, ByteBuffer.wrap(fragment), false);
        for (int i = 0; i < 10 && raw.isOpen(); i++) {
          raw.sendFragmentedFrame(Opcode.BINARY, ByteBuffer.wrap(fragment), false);
        }
        assertThatThrownBy(() -> {
          while (l.getInputStream().read() >= 0) {
            // nothing of the oversized message is delivered
          }
        }).isInstanceOf(SocketException.class);
        assertThat(raw.closed.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(raw.closeCode).isEqualTo(1009);
        assertThat(l.closeStatus()).hasValueSatisfying(s -> assertThat(s.clean()).isFalse());
      }
    }
  }

  /** A fake relay whose control channel sends one accept pointing at a host other than the relay's. */
  static final class FakeRelay extends WebSocketServer {
    final String accept;
    final CountDownLatch opened = new CountDownLatch(1);

    FakeRelay(String accept) {
      super(new InetSocketAddress("127.0.0.1", 0));
      this.accept = accept;
      setDaemon(true);
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
      conn.send(accept);
      opened.countDown();
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {}

    @Override
    public void onMessage(WebSocket conn, String message) {}

    @Override
    public void onError(WebSocket conn, Exception ex) {}

    @Override
    public void onStart() {}
  }

  @Test
  void acceptWithAForeignHostIsRefusedAndNothingIsContacted() throws Exception {
    try (ServerSocket sentinel = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      AtomicInteger contacted = new AtomicInteger();
      Thread t = new Thread(() -> {
        while (true) {
          try {
            sentinel.accept().close();
            contacted.incrementAndGet();
          } catch (Exception e) {
            return;
          }
        }
      });
      t.setDaemon(true);
      t.start();
      // the relay is "localhost"; the accept points at 127.0.0.1 (another host name, same machine)
      String accept = "{\"accept\":{\"address\":\"ws://127.0.0.1:" + sentinel.getLocalPort()
          + "/$hc/x?sb-hc-action=accept&sb-hc-id=1\",\"id\":\"1\",\"connectHeaders\":{}}}";
      String junk = "{\"nonsense\":{}}";
      FakeRelay fake = new FakeRelay(accept);
      fake.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> fake.getPort() > 0);
      String cs = "Endpoint=sb://localhost:" + fake.getPort() + "/;SharedAccessKeyName=a;SharedAccessKey=k;"
          + "EntityPath=x;UseDevelopmentEmulator=true";
      try (RelayListener listener = RelayListener.builder(cs).build()) {
        listener.open();
        assertThat(fake.opened.await(5, TimeUnit.SECONDS)).isTrue();
        fake.getConnections().forEach(c -> c.send(junk));
        fake.getConnections().forEach(c -> c.send("not json"));
        Thread.sleep(1_000);
        assertThat(contacted).hasValue(0);
        assertThat(listener.isOnline()).isTrue();
      } finally {
        fake.stop(1000);
      }
    }
  }
}
