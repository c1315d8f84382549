package dev.hybridrelay.core.internal;

/**
 * The transport's view of a {@code RelayProxy}: how to reach the relay for one connection.
 *
 * @param mode direct, the JDK's selector (then the environment proxies), or one HTTP proxy
 * @param server the HTTP proxy for {@link Mode#HTTP}
 * @param noProxy hosts that always go direct
 * @param envSecure the environment's proxy for wss after the selector said direct, or null
 * @param envPlain the environment's proxy for ws after the selector said direct, or null
 * @param description for logs (never the password)
 */
public record ProxyConfig(Mode mode, Server server, NoProxyMatcher noProxy, Server envSecure, Server envPlain,
    String description) {

  /** Direct connections only. */
  public static final ProxyConfig DIRECT = new ProxyConfig(Mode.DIRECT, null, NoProxyMatcher.NONE, null, null,
      "RelayProxy[direct]");
  /** The JDK's selector. */
  public static final ProxyConfig SYSTEM = new ProxyConfig(Mode.SYSTEM, null, NoProxyMatcher.NONE, null, null,
      "RelayProxy[system]");

  /** How the proxy is chosen. */
  public enum Mode { DIRECT, SYSTEM, HTTP }

  /** One HTTP proxy; {@link #toString()} never shows the password. */
  public record Server(String host, int port, String username, String password) {
    /** {@code host:port} (IPv6 in brackets). */
    public String address() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
      return "http://" + (username == null ? "" : username + ":***@") + address();
    }
  }

  @Override
  public String toString() {
    return description;
  }
}
