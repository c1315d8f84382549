package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayProxy;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --proxy} and {@code --no-proxy} for every command that connects to a relay (add it with
 * {@code @Mixin ProxyOptions proxy;} and pass {@link #relayProxy()} to the listener and sender
 * builders). Precedence: {@code --proxy}; the JDK's proxy settings ({@code -Dhttps.proxyHost},
 * {@code -Djava.net.useSystemProxies=true}); the {@code https_proxy}/{@code HTTPS_PROXY}, {@code
 * http_proxy} and {@code all_proxy} variables as curl reads them. The bypass list is {@code
 * --no-proxy}, else {@code no_proxy}/{@code NO_PROXY}.
 */
public final class ProxyOptions {
  @Option(names = "--proxy", paramLabel = "URL",
      description = "HTTP proxy for the connections to the relay: http://[user:password@]host:port "
          + "(percent-encode @ and : in the password; prefer the https_proxy variable, the command line "
          + "is visible to other users), or 'none'. Default: the JDK's proxy settings, then https_proxy, "
          + "HTTPS_PROXY, http_proxy, all_proxy.")
  String proxy;

  @Option(names = "--no-proxy", paramLabel = "LIST",
      description = "Relay hosts reached without the proxy, comma-separated: .example.com, localhost, "
          + "10.0.0.0/8, host:port, * (all). Default: no_proxy or NO_PROXY.")
  String noProxy;

  /**
   * The proxy settings for this process.
   *
   * @throws IllegalArgumentException with a message for the user (never the password)
   */
  public RelayProxy relayProxy() {
    return resolve(System.getenv());
  }

  RelayProxy resolve(Map<String, String> env) {
    String np = noProxy != null ? noProxy : first(env, "no_proxy", "NO_PROXY");
    try {
      if (proxy != null) {
        String v = proxy.trim().toLowerCase(Locale.ROOT);
        if (v.equals("none") || v.equals("direct")) {
          return RelayProxy.none();
        }
        RelayProxy p;
        try {
          p = RelayProxy.parse(proxy);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("--proxy: " + e.getMessage(), e);
        }
        return np == null ? p : p.withNoProxy(np);
      }
      RelayProxy p = RelayProxy.fromEnvironment(env);
      return noProxy != null ? p.withNoProxy(noProxy) : p;
    } catch (IllegalArgumentException e) {
      if (noProxy != null && e.getMessage() != null && e.getMessage().contains("no-proxy")) {
        throw new IllegalArgumentException("--no-proxy: " + e.getMessage(), e);
      }
      throw e;
    }
  }

  private static String first(Map<String, String> env, String... names) {
    for (String n : names) {
      String v = env.get(n);
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }
}
