package dev.hybridrelay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** PROXY protocol v1 from a trusted proxy: the header is consumed; without it the peer is dropped. */
@Timeout(60)
class ProxyProtocolTest {
  static String exchange(LocalRelayServer relay, String bytes) throws Exception {
    try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), relay.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(bytes.getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[12];
      int n = in.readNBytes(buf, 0, buf.length);
      return new String(buf, 0, n, StandardCharsets.US_ASCII);
    }
  }

  @Test
  void headerFromTrustedProxyIsConsumedAndRequiredOtherwiseNotExpected() throws Exception {
    LocalRelayServer relay = LocalRelayServer.builder().port(0).trustedProxy("127.0.0.1/32").proxyProtocol(true)
        .build().start();
    try {
      String get = "GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
      assertThat(exchange(relay, "PROXY TCP4 198.51.100.9 127.0.0.1 5555 9090\r\n" + get)).startsWith("HTTP/1.1 ");
      assertThat(exchange(relay, "PROXY UNKNOWN\r\n" + get)).startsWith("HTTP/1.1 ");
      assertThat(exchange(relay, get)).as("trusted peer without a header").isEmpty();
      assertThat(exchange(relay, "PROXY TCP4 not-an-ip 127.0.0.1 1 2\r\n" + get)).isEmpty();
    } finally {
      relay.shutdown(Duration.ZERO);
    }
    LocalRelayServer untrusted = LocalRelayServer.builder().port(0).trustedProxy("10.0.0.0/8").proxyProtocol(true)
        .build().start();
    try {
      assertThat(exchange(untrusted, "GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
          .as("an untrusted peer sends plain HTTP").startsWith("HTTP/1.1 ");
    } finally {
      untrusted.shutdown(Duration.ZERO);
    }
    assertThatThrownBy(() -> LocalRelayServer.builder().proxyProtocol(true).build())
        .hasMessageContaining("needs trustedProxy");
  }
}
