package dev.hybridrelay.cli;

import dev.hybridrelay.server.LocalRelayServer;
import java.util.List;
import java.util.Locale;

/** {@code serve}'s reverse-proxy settings: advertised port and scheme, trusted proxies, PROXY protocol. */
final class ReverseProxyOptions {
  private ReverseProxyOptions() {
  }

  /**
   * Applies the options to the builder.
   *
   * @throws IllegalArgumentException for a bad scheme, port or range (a usage error)
   */
  static void apply(LocalRelayServer.Builder b, Integer port, String scheme, List<String> trustedProxies,
      boolean proxyProtocol) {
    if (proxyProtocol && trustedProxies.isEmpty()) {
      throw new IllegalArgumentException("--proxy-protocol needs --trusted-proxy: the PROXY header is read only "
          + "from trusted proxies");
    }
    b.proxyProtocol(proxyProtocol);
    if (port != null) {
      b.advertisedPort(port);
    }
    if (scheme != null) {
      String s = scheme.trim().toLowerCase(Locale.ROOT);
      if (!s.equals("wss") && !s.equals("ws")) {
        throw new IllegalArgumentException("--advertised-scheme must be wss or ws, not '" + scheme + "'");
      }
      b.advertisedTls(s.equals("wss"));
    }
    for (String cidr : trustedProxies) {
      try {
        b.trustedProxy(cidr);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--trusted-proxy: " + e.getMessage(), e);
      }
    }
  }
}
