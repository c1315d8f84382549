package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hybridrelay.server.testing.RawWs;
import dev.hybridrelay.server.testing.RelayFixture;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code maxConnectionsPerAddress}: one remote address cannot use up the relay (scenario S6). */
class PerAddressLimitTest {
  static final InetAddress FIRST = loopback(1);
  static final InetAddress SECOND = loopback(2);

  static InetAddress loopback(int last) {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static Socket open(RelayFixture relay, InetAddress from) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(from, 0));
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), relay.server.port()), 5000);
    return s;
  }

  /** Whether the relay dropped the connection (EOF or reset) within {@code ms}. */
  static boolean dropped(Socket s, int ms) throws IOException {
    s.setSoTimeout(ms);
    try {
      InputStream in = s.getInputStream();
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** Whether a new connection from {@code from} is dropped: reset while connecting, or EOF/reset after. */
  static boolean openedThenDropped(RelayFixture relay, InetAddress from) throws IOException {
    Socket over;
    try {
      over = open(relay, from);
    } catch (java.net.SocketException e) {
      return true;
    }
    try (over) {
      return dropped(over, 2000);
    }
  }

  static int listenStatus(RelayFixture relay, InetAddress from) throws IOException {
    try (Socket s = open(relay, from)) {
      s.setSoTimeout(5000);
      String req = "GET /$hc/perip?sb-hc-action=listen HTTP/1.1\r\nHost: localhost\r\n"
          + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          + "ServiceBusAuthorization: " + RelayFixture.token("perip") + "\r\n\r\n";
      s.getOutputStream().write(req.getBytes(StandardCharsets.ISO_8859_1));
      StringBuilder line = new StringBuilder();
      int b;
      while ((b = s.getInputStream().read()) >= 0 && b != '\n') {
        line.append((char) b);
      }
      String[] parts = line.toString().split(" ");
      return parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  @Test
  void connectionsOverTheCapFromOneAddressAreDroppedOthersAreServed() throws Exception {
    int cap = 20;
    try (RelayFixture relay = RelayFixture.start(false, b -> b.maxConnectionsPerAddress(cap)
        .handshakeTimeout(Duration.ofSeconds(30)))) {
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < cap; i++) {
          held.add(open(relay, FIRST));
        }
        await().atMost(Duration.ofSeconds(5))
            .until(() -> relay.server.connectionsFrom(FIRST) == cap);
        // one more from the same address: dropped at accept (the reset may already reach connect())
        assertThat(openedThenDropped(relay, FIRST)).isTrue();
        // the ones within the cap are still open
        assertThat(dropped(held.get(0), 200)).isFalse();
        assertThat(relay.server.connectionsFrom(FIRST)).isEqualTo(cap);
        // another address is not affected: a full listen handshake succeeds
        assertThat(listenStatus(relay, SECOND)).isEqualTo(101);
        // IPv4-mapped IPv6 counts as the IPv4 address
        assertThat(relay.server.connectionsFrom(
            InetAddress.getByName("::ffff:127.0.0.1"))).isEqualTo(cap);
      } finally {
        for (Socket s : held) {
          s.close();
        }
      }
      // the slots are given back when the connections close
      await().atMost(Duration.ofSeconds(5)).until(() -> relay.server.connectionsFrom(FIRST) == 0);
      assertThat(listenStatus(relay, FIRST)).isEqualTo(101);
    }
  }

  @Test
  void upgradedConnectionsCountToo() throws Exception {
    try (RelayFixture relay = RelayFixture.start(false, b -> b.maxConnectionsPerAddress(2))) {
      RawWs a = RawWs.connect(relay.uri("/$hc/up?sb-hc-action=listen"),
          RelayFixture.auth(RelayFixture.token("up")), null);
      RawWs b = RawWs.connect(relay.uri("/$hc/up?sb-hc-action=listen"),
          RelayFixture.auth(RelayFixture.token("up")), null);
      try {
        assertThat(a.status).isEqualTo(101);
        assertThat(b.status).isEqualTo(101);
        assertThatThrownBy(() -> RawWs.connect(relay.uri("/$hc/up?sb-hc-action=listen"),
            RelayFixture.auth(RelayFixture.token("up")), null)).isInstanceOf(IOException.class);
        assertThat(relay.server.listenerCount("up")).isEqualTo(2);
      } finally {
        a.close();
        b.close();
      }
    }
  }

  @Test
  void defaultIsOneThousandAndInvalidValuesAreRejected() {
    assertThatThrownBy(() -> LocalRelayServer.builder().maxConnectionsPerAddress(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxConnectionsPerAddress");
    try (RelayFixture relay = RelayFixture.start(false)) {
      assertThat(relay.server.connectionsFrom(FIRST)).isZero();
    }
  }
}
