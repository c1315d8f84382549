package dev.hybridrelay.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** X-Forwarded-For is believed only from trusted proxies, walking from the right. */
class FrontendTest {
  static HttpHeaders xff(String... values) {
    HttpHeaders h = new DefaultHttpHeaders();
    for (String v : values) {
      h.add("X-Forwarded-For", v);
    }
    return h;
  }

  static String client(Frontend f, String peer, HttpHeaders h) {
    return f.clientAddress(new InetSocketAddress(peer, 40000), h).getAddress().getHostAddress();
  }

  @Test
  void onlyTrustedPeersMaySetTheAddress() {
    Frontend f = new Frontend(true, 443, List.of("10.0.0.0/8", "::1/128"), false);
    assertThat(client(f, "10.1.2.3", xff("198.51.100.9"))).isEqualTo("198.51.100.9");
    assertThat(client(f, "192.0.2.1", xff("198.51.100.9"))).as("untrusted peer").isEqualTo("192.0.2.1");
    assertThat(client(Frontend.NONE, "10.1.2.3", xff("198.51.100.9"))).as("no trusted proxies").isEqualTo("10.1.2.3");
    // a client-supplied entry left of the real client is not believed
    assertThat(client(f, "10.1.2.3", xff("203.0.113.7, 198.51.100.9"))).isEqualTo("198.51.100.9");
    // chains of trusted proxies are walked; several headers are one list
    assertThat(client(f, "10.1.2.3", xff("198.51.100.9", "10.9.9.9"))).isEqualTo("198.51.100.9");
    assertThat(client(f, "::1", xff("2001:db8::5"))).isEqualTo("2001:db8:0:0:0:0:0:5");
    // garbage stops at the last trusted hop; no header keeps the peer
    assertThat(client(f, "10.1.2.3", xff("unknown, 10.0.0.7"))).isEqualTo("10.0.0.7");
    assertThat(client(f, "10.1.2.3", xff())).isEqualTo("10.1.2.3");
    assertThat(f.clientAddress(new InetSocketAddress("10.1.2.3", 1), xff("198.51.100.9")).getPort()).isZero();
  }

  @Test
  void malformedRangesAreRefused() {
    assertThatThrownBy(() -> new Frontend(null, 0, List.of("10.0.0.0/33"), false))
        .hasMessageContaining("Malformed trusted proxy range '10.0.0.0/33'");
    assertThatThrownBy(() -> new Frontend(null, 0, List.of("proxy.example.com"), false))
        .hasMessageContaining("Malformed trusted proxy range");
  }
}
