package dev.hybridrelay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridrelay.core.internal.NoProxyMatcher;
import dev.hybridrelay.core.internal.ProxyConfig;
import dev.hybridrelay.core.internal.ProxyTunnel;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Proxy settings: URL parsing, environment precedence, NO_PROXY patterns; never the password in text. */
class RelayProxyTest {
  static final String PW = "Pw-Canary:@/x";

  @Test
  void parsesUserPasswordHostAndPortWithPercentDecoding() {
    RelayProxy p = RelayProxy.parse("http://alice:Pw-Canary%3A%40%2Fx@proxy.example.com:3128");
    assertThat(p.host()).isEqualTo("proxy.example.com");
    assertThat(p.port()).isEqualTo(3128);
    assertThat(p.username()).isEqualTo("alice");
    assertThat(p.config().server().password()).isEqualTo(PW);
    assertThat(p.toString()).isEqualTo("RelayProxy[http://alice:***@proxy.example.com:3128]").doesNotContain("Canary");
    assertThat(p.config().toString()).doesNotContain("Canary");
    assertThat(p.config().server().toString()).doesNotContain("Canary");
    assertThat(RelayProxy.parse("proxy:8080").port()).isEqualTo(8080);
    assertThat(RelayProxy.parse("http://proxy").port()).isEqualTo(RelayProxy.DEFAULT_PORT);
    assertThat(RelayProxy.parse("http://[::1]:3128").host()).isEqualTo("::1");
    assertThat(RelayProxy.parse("http://a+b:c+d@h:1").config().server().password()).isEqualTo("c+d");
  }

  @Test
  void badUrlsAreRefusedWithoutRepeatingThePassword() {
    assertThatThrownBy(() -> RelayProxy.parse("socks5://u:Secret123@h:1080"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only HTTP proxies")
        .hasMessageNotContaining("Secret123");
    assertThatThrownBy(() -> RelayProxy.parse("https://u:Secret123@h:443"))
        .hasMessageContaining("Unsupported proxy scheme 'https'").hasMessageNotContaining("Secret123");
    assertThatThrownBy(() -> RelayProxy.parse("http://u:Secret 123@h:1"))
        .hasMessageContaining("Malformed proxy URL").hasMessageNotContaining("Secret");
    assertThatThrownBy(() -> RelayProxy.parse("http://h:99999")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RelayProxy.parse("http://h:1/path")).hasMessageContaining("no path");
    assertThatThrownBy(() -> RelayProxy.parse("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> RelayProxy.none().withCredentials("a", "b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RelayProxy.http("h", 1).withNoProxy("10.0.0.0/33"))
        .hasMessageContaining("Malformed CIDR range '10.0.0.0/33'");
  }

  @Test
  void javaNetProxyIsAccepted() {
    assertThat(RelayProxy.of(Proxy.NO_PROXY).isDirect()).isTrue();
    RelayProxy p = RelayProxy.of(new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved("p", 3128)));
    assertThat(p.host()).isEqualTo("p");
    assertThat(p.port()).isEqualTo(3128);
    assertThatThrownBy(() -> RelayProxy.of(new Proxy(Proxy.Type.SOCKS, InetSocketAddress.createUnresolved("p", 1))))
        .hasMessageContaining("Only HTTP proxies");
  }

  @Test
  void environmentAsCurlReadsIt() throws Exception {
    RelayProxy p = RelayProxy.fromEnvironment(Map.of("https_proxy", "http://u:" + "EnvPw1@sec:3128",
        "HTTP_PROXY", "http://ignored:1", "no_proxy", "localhost,.internal"));
    assertThat(p.isSystem()).isTrue();
    assertThat(p.toString()).contains("https=http://u:***@sec:3128").contains("http=-").doesNotContain("EnvPw1");
    ProxyConfig c = p.config();
    // the JDK's default selector says direct for this host, so the variables apply
    assertThat(ProxyTunnel.route(c, "relay.example.com", 443, true).address()).isEqualTo("sec:3128");
    assertThat(ProxyTunnel.route(c, "relay.example.com", 80, false)).as("HTTP_PROXY upper case is ignored").isNull();
    assertThat(ProxyTunnel.route(c, "a.internal", 443, true)).isNull();
    assertThat(ProxyTunnel.route(c, "localhost", 443, true)).isNull();
    RelayProxy all = RelayProxy.fromEnvironment(Map.of("ALL_PROXY", "all:8", "http_proxy", "plain:9"));
    assertThat(ProxyTunnel.route(all.config(), "r", 443, true).address()).isEqualTo("all:8");
    assertThat(ProxyTunnel.route(all.config(), "r", 80, false).address()).isEqualTo("plain:9");
    assertThat(RelayProxy.fromEnvironment(Map.of())).isEqualTo(RelayProxy.system());
    assertThatThrownBy(() -> RelayProxy.fromEnvironment(Map.of("HTTPS_PROXY", "socks5://h:1")))
        .hasMessageContaining("Environment variable HTTPS_PROXY");
    // explicit settings
    assertThat(ProxyTunnel.route(RelayProxy.none().config(), "r", 443, true)).isNull();
    assertThat(ProxyTunnel.route(RelayProxy.http("p", 1).withNoProxy("*").config(), "r", 443, true)).isNull();
    assertThat(ProxyTunnel.route(RelayProxy.http("p", 1).config(), "r", 443, true).address()).isEqualTo("p:1");
  }

  @Test
  void noProxyPatterns() {
    NoProxyMatcher m = NoProxyMatcher.parse(".example.com, other.org localhost 10.0.0.0/8,192.168.1.7 "
        + "[fd00::]/8 ::1 web.test:8443");
    assertThat(m.matches("example.com", 443)).isTrue();
    assertThat(m.matches("relay.example.com", 443)).isTrue();
    assertThat(m.matches("RELAY.Example.COM.", 443)).isTrue();
    assertThat(m.matches("badexample.com", 443)).isFalse();
    assertThat(m.matches("other.org", 443)).isTrue();
    assertThat(m.matches("a.b.other.org", 443)).isTrue();
    assertThat(m.matches("localhost", 80)).isTrue();
    assertThat(m.matches("10.200.3.4", 443)).isTrue();
    assertThat(m.matches("11.0.0.1", 443)).isFalse();
    assertThat(m.matches("192.168.1.7", 443)).isTrue();
    assertThat(m.matches("192.168.1.8", 443)).isFalse();
    assertThat(m.matches("fd12::1", 443)).isTrue();
    assertThat(m.matches("[::1]", 443)).isTrue();
    assertThat(m.matches("fe80::1", 443)).isFalse();
    assertThat(m.matches("web.test", 8443)).isTrue();
    assertThat(m.matches("web.test", 443)).isFalse();
    assertThat(m.matches("10.example.net", 443)).as("names are not resolved for CIDR").isFalse();
    assertThat(NoProxyMatcher.parse("*").matches("anything", 1)).isTrue();
    assertThat(NoProxyMatcher.parse("*.example.com").matches("a.example.com", 1)).isTrue();
    assertThat(NoProxyMatcher.parse("172.16.0.0/12").matches("172.31.255.255", 1)).isTrue();
    assertThat(NoProxyMatcher.parse("172.16.0.0/12").matches("172.32.0.0", 1)).isFalse();
    assertThat(NoProxyMatcher.parse("").matches("x", 1)).isFalse();
    assertThat(NoProxyMatcher.parse(null).matches("x", 1)).isFalse();
    assertThatThrownBy(() -> NoProxyMatcher.parse("host:port")).hasMessageContaining("Malformed port");
  }
}
