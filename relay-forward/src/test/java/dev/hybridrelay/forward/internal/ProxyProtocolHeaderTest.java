package dev.hybridrelay.forward.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The PROXY protocol encoder (HAProxy's specification) and the strict client address parser. */
class ProxyProtocolHeaderTest {
  private static InetSocketAddress at(String ip, int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(ip), port);
  }

  @Test
  void v1TextForIpv4Ipv6MixedAndUnknown() throws Exception {
    assertThat(new String(ProxyProtocolHeader.v1(at("203.0.113.7", 51544), at("127.0.0.1", 8080)),
        StandardCharsets.US_ASCII)).isEqualTo("PROXY TCP4 203.0.113.7 127.0.0.1 51544 8080\r\n");
    assertThat(new String(ProxyProtocolHeader.v1(at("2001:db8::7", 1), at("::1", 65535)),
        StandardCharsets.US_ASCII)).isEqualTo("PROXY TCP6 2001:db8:0:0:0:0:0:7 0:0:0:0:0:0:0:1 1 65535\r\n");
    assertThat(new String(ProxyProtocolHeader.v1(at("192.0.2.1", 5), at("::1", 6)), StandardCharsets.US_ASCII))
        .isEqualTo("PROXY TCP6 0:0:0:0:0:ffff:c000:201 0:0:0:0:0:0:0:1 5 6\r\n");
    assertThat(new String(ProxyProtocolHeader.v1(null, at("::1", 6)), StandardCharsets.US_ASCII))
        .isEqualTo("PROXY UNKNOWN\r\n");
    assertThat(ProxyProtocolHeader.v1(at("203.0.113.7", 51544), at("127.0.0.1", 8080)).length).isLessThanOrEqualTo(107);
  }

  @Test
  void v2BinaryWithSignatureFamilyAndLength() throws Exception {
    byte[] h = ProxyProtocolHeader.v2(at("203.0.113.7", 51544), at("127.0.0.1", 8080));
    assertThat(h).hasSize(16 + 12);
    assertThat(Arrays.copyOf(h, 12)).isEqualTo(new byte[] {13, 10, 13, 10, 0, 13, 10, 'Q', 'U', 'I', 'T', 10});
    ByteBuffer b = ByteBuffer.wrap(h, 12, h.length - 12);
    assertThat(b.get()).as("version 2, PROXY").isEqualTo((byte) 0x21);
    assertThat(b.get()).as("TCP over IPv4").isEqualTo((byte) 0x11);
    assertThat(b.getShort()).isEqualTo((short) 12);
    byte[] src = new byte[4];
    b.get(src);
    assertThat(InetAddress.getByAddress(src).getHostAddress()).isEqualTo("203.0.113.7");
    b.get(src);
    assertThat(InetAddress.getByAddress(src).getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(b.getShort() & 0xffff).isEqualTo(51544);
    assertThat(b.getShort() & 0xffff).isEqualTo(8080);

    byte[] six = ProxyProtocolHeader.v2(at("2001:db8::7", 40000), at("::1", 443));
    assertThat(six).hasSize(16 + 36);
    assertThat(six[12]).isEqualTo((byte) 0x21);
    assertThat(six[13]).as("TCP over IPv6").isEqualTo((byte) 0x21);
    assertThat(ByteBuffer.wrap(six, 14, 2).getShort()).isEqualTo((short) 36);

    byte[] local = ProxyProtocolHeader.v2(null, null);
    assertThat(local).hasSize(16);
    assertThat(local[12]).as("version 2, LOCAL").isEqualTo((byte) 0x20);
    assertThat(local[13]).as("UNSPEC").isEqualTo((byte) 0);
    assertThat(local[14] | local[15]).isZero();
  }

  @Test
  void parsesAddressLiteralsOnly() throws Exception {
    assertThat(ProxyProtocolHeader.parse("203.0.113.7:51544")).isEqualTo(at("203.0.113.7", 51544));
    assertThat(ProxyProtocolHeader.parse("[2001:db8::7]:1")).isEqualTo(at("2001:db8::7", 1));
    assertThat(ProxyProtocolHeader.parse(" 127.0.0.1:80 ")).isEqualTo(at("127.0.0.1", 80));
    assertThat(ProxyProtocolHeader.format(at("2001:db8::7", 1))).isEqualTo("[2001:db8:0:0:0:0:0:7]:1");
    assertThat(ProxyProtocolHeader.parse(ProxyProtocolHeader.format(at("2001:db8::7", 1))))
        .isEqualTo(at("2001:db8::7", 1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "localhost:80", "example.com:443", "1.2.3.4", "1.2.3.4:", ":80", "01.2.3.4:5",
      "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:8o", "256.1.1.1:1", "1.2.3:4", "::1:80", "[::1]",
      "[evil.example]:80", "[1.2.3.4]:80", "1.2.3.4:80\r\nX: y", "1.2.3.4 :80", "[::1]:80:80", "1.2.3.4:0080x"})
  void rejectsAnythingElse(String text) {
    assertThat(ProxyProtocolHeader.parse(text)).as("'%s'", text).isNull();
  }
}
