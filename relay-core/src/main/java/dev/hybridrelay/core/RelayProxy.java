package dev.hybridrelay.core;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How a listener or sender reaches the relay: directly, through an HTTP proxy ({@code CONNECT}
 * tunnel, then TLS and the WebSocket handshake inside it), or as the JDK's {@link
 * java.net.ProxySelector} decides. Immutable value; set it with {@code RelayListener.Builder.proxy}
 * or {@code RelaySender.Builder.proxy}. Every connection of a listener (control channel,
 * rendezvous, rejections) and of a sender uses it.
 *
 * <ul>
 *   <li>{@link #system()} (the default): asks {@link java.net.ProxySelector#getDefault()} for an
 *       {@code https://} URI for wss and an {@code http://} URI for ws, so {@code -Dhttps.proxyHost},
 *       {@code -Dhttp.proxyHost}, {@code -Dhttp.nonProxyHosts} and {@code
 *       -Djava.net.useSystemProxies=true} apply. Credentials for such a proxy come from the default
 *       {@link java.net.Authenticator}, if one is set.
 *   <li>{@link #fromEnvironment()}: the same, then the {@code https_proxy}/{@code HTTPS_PROXY}
 *       (wss), {@code http_proxy} (ws) and {@code all_proxy}/{@code ALL_PROXY} variables as curl
 *       reads them, with {@code no_proxy}/{@code NO_PROXY}.
 *   <li>{@link #http(String, int)} / {@link #parse(String)}: one HTTP proxy, optionally with Basic
 *       credentials.
 *   <li>{@link #none()}: always direct.
 * </ul>
 *
 * <p>{@link #withNoProxy(String)} lists hosts that bypass the proxy, comma- or space-separated:
 * {@code *} (everything), {@code example.com} or {@code .example.com} (that domain and its
 * subdomains), {@code localhost}, an IP address ({@code 10.1.2.3}, {@code ::1}) or a CIDR range
 * ({@code 10.0.0.0/8}, {@code fd00::/8}) matched against IP-literal relay hosts, each optionally
 * with {@code :port}.
 *
 * <p>Failures: a proxy that cannot be reached, refuses the tunnel or asks for credentials fails the
 * connection with a {@link RelayProxyException} naming the proxy and its status; for a listener that
 * is an ordinary reconnect cause. The password never appears in {@link #toString()}, in logs or in
 * exception messages; it is sent only as the {@code Proxy-Authorization} header of the {@code
 * CONNECT} request, which travels in clear text to the proxy (as with every HTTP proxy).
 */
public final class RelayProxy {
  /** The port assumed when a proxy URL names none (curl's default). */
  public static final int DEFAULT_PORT = 1080;

  private enum Kind { SYSTEM, DIRECT, HTTP }

  private static final RelayProxy SYSTEM = new RelayProxy(Kind.SYSTEM, null, 0, null, null, "", null, null);
  private static final RelayProxy NONE = new RelayProxy(Kind.DIRECT, null, 0, null, null, "", null, null);

  private final Kind kind;
  private final String host;
  private final int port;
  private final String username;
  private final String password;
  private final String noProxy;
  /** For {@link #fromEnvironment}: the proxies of the variables, used when the selector says DIRECT. */
  private final RelayProxy envSecure;
  private final RelayProxy envPlain;

  private RelayProxy(Kind kind, String host, int port, String username, String password, String noProxy,
      RelayProxy envSecure, RelayProxy envPlain) {
    this.kind = kind;
    this.host = host;
    this.port = port;
    this.username = username;
    this.password = password;
    this.noProxy = noProxy == null ? "" : noProxy.trim();
    this.envSecure = envSecure;
    this.envPlain = envPlain;
  }

  /** The JDK's {@link java.net.ProxySelector#getDefault()} decides (the default of the builders). */
  public static RelayProxy system() {
    return SYSTEM;
  }

  /** Always connect directly, whatever the JDK or the environment say. */
  public static RelayProxy none() {
    return NONE;
  }

  /** An HTTP proxy at {@code host:port}, without credentials. */
  public static RelayProxy http(String host, int port) {
    Objects.requireNonNull(host, "host");
    String h = host.trim();
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.isEmpty()) {
      throw new IllegalArgumentException("The proxy host is empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("The proxy port must be 1..65535, not " + port);
    }
    return new RelayProxy(Kind.HTTP, h, port, null, null, "", null, null);
  }

  /**
   * Parses {@code http://[user:password@]host[:port]} (the form of curl's {@code -x} and of the
   * {@code https_proxy} variable; a bare {@code host:port} is taken as {@code http://}). User and
   * password are percent-decoded ({@code %40} for {@code @}, {@code %3A} for {@code :}). The port
   * defaults to {@value #DEFAULT_PORT}.
   *
   * @throws IllegalArgumentException for another scheme (https://, socks5://) or a malformed URL;
   *     the message never repeats the password
   */
  public static RelayProxy parse(String url) {
    Objects.requireNonNull(url, "url");
    String s = url.trim();
    if (s.isEmpty()) {
      throw new IllegalArgumentException("The proxy URL is empty; expected http://[user:password@]host:port");
    }
    if (!s.contains("://")) {
      s = "http://" + s;
    }
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("Malformed proxy URL " + redact(s)
          + "; expected http://[user:password@]host:port (percent-encode @ : / # ? and spaces in the user and password)");
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http")) {
      throw new IllegalArgumentException("Unsupported proxy scheme '" + scheme + "' in " + redact(s)
          + "; only HTTP proxies (http://host:port, CONNECT tunnels) are supported");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("No host in proxy URL " + redact(s)
          + "; expected http://[user:password@]host:port (percent-encode @ : / # ? and spaces in the user and password)");
    }
    String path = uri.getRawPath();
    if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null) {
      throw new IllegalArgumentException("A proxy URL has no path or query: " + redact(s));
    }
    RelayProxy p = http(uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort());
    String info = uri.getRawUserInfo();
    if (info != null && !info.isEmpty()) {
      int colon = info.indexOf(':');
      String user = decode(colon < 0 ? info : info.substring(0, colon));
      String pass = colon < 0 ? "" : decode(info.substring(colon + 1));
      p = p.withCredentials(user, pass);
    }
    return p;
  }

  /**
   * An HTTP proxy from a {@link Proxy} ({@link Proxy.Type#HTTP} or {@link Proxy.Type#DIRECT}).
   *
   * @throws IllegalArgumentException for SOCKS proxies, which are not supported
   */
  public static RelayProxy of(Proxy proxy) {
    Objects.requireNonNull(proxy, "proxy");
    if (proxy.type() == Proxy.Type.DIRECT) {
      return NONE;
    }
    if (proxy.type() != Proxy.Type.HTTP) {
      throw new IllegalArgumentException("Only HTTP proxies are supported, not " + proxy.type());
    }
    SocketAddress a = proxy.address();
    if (!(a instanceof InetSocketAddress)) {
      throw new IllegalArgumentException("The proxy has no host and port: " + a);
    }
    InetSocketAddress isa = (InetSocketAddress) a;
    return http(isa.getHostString(), isa.getPort());
  }

  /** {@link #fromEnvironment(Map)} with the process environment. */
  public static RelayProxy fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * The JDK's {@link java.net.ProxySelector} first (as {@link #system()}); where it says direct, the
   * proxy variables as curl reads them: {@code https_proxy} or {@code HTTPS_PROXY} for wss, {@code
   * http_proxy} (lower case only, as curl) for ws, then {@code all_proxy}/{@code ALL_PROXY};
   * {@code no_proxy}/{@code NO_PROXY} lists the hosts that bypass them.
   *
   * @throws IllegalArgumentException if a variable holds a malformed or non-HTTP proxy URL (the
   *     message names the variable)
   */
  public static RelayProxy fromEnvironment(Map<String, String> env) {
    Objects.requireNonNull(env, "env");
    String all = first(env, "all_proxy", "ALL_PROXY");
    RelayProxy secure = fromVariable(env, first(env, "https_proxy", "HTTPS_PROXY") != null
        ? name(env, "https_proxy", "HTTPS_PROXY") : name(env, "all_proxy", "ALL_PROXY"));
    RelayProxy plain = fromVariable(env, first(env, "http_proxy") != null ? "http_proxy"
        : all != null ? name(env, "all_proxy", "ALL_PROXY") : null);
    String np = first(env, "no_proxy", "NO_PROXY");
    if (secure == null && plain == null) {
      return np == null ? SYSTEM : SYSTEM.withNoProxy(np);
    }
    return new RelayProxy(Kind.SYSTEM, null, 0, null, null, np == null ? "" : np, secure, plain);
  }

  private static RelayProxy fromVariable(Map<String, String> env, String name) {
    if (name == null) {
      return null;
    }
    try {
      return parse(env.get(name));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Environment variable " + name + ": " + e.getMessage(), e);
    }
  }

  private static String name(Map<String, String> env, String... names) {
    for (String n : names) {
      String v = env.get(n);
      if (v != null && !v.isBlank()) {
        return n;
      }
    }
    return null;
  }

  private static String first(Map<String, String> env, String... names) {
    String n = name(env, names);
    return n == null ? null : env.get(n);
  }

  /**
   * The same proxy with Basic credentials, sent with every {@code CONNECT}. Only for an HTTP proxy.
   *
   * @throws IllegalArgumentException if the user name is empty or contains ':' or a control
   *     character, or this is not an HTTP proxy
   */
  public RelayProxy withCredentials(String username, String password) {
    if (kind != Kind.HTTP) {
      throw new IllegalArgumentException("Credentials need an HTTP proxy (RelayProxy.http or parse)");
    }
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    if (username.isEmpty() || username.indexOf(':') >= 0 || hasControl(username) || hasControl(password)) {
      throw new IllegalArgumentException("The proxy user name must be non-empty without ':', and neither "
          + "user nor password may contain control characters");
    }
    return new RelayProxy(kind, host, port, username, password, noProxy, envSecure, envPlain);
  }

  /**
   * The same with a list of hosts that are reached directly (see the class description for the
   * patterns); replaces an earlier list. Null or blank: no exceptions.
   *
   * @throws IllegalArgumentException for a malformed CIDR range or port
   */
  public RelayProxy withNoProxy(String list) {
    dev.hybridrelay.core.internal.NoProxyMatcher.parse(list); // fails early on a malformed entry
    if (kind == Kind.DIRECT) {
      return this;
    }
    return new RelayProxy(kind, host, port, username, password, list, envSecure, envPlain);
  }

  /** True for {@link #none()}. */
  public boolean isDirect() {
    return kind == Kind.DIRECT;
  }

  /** True for {@link #system()} and {@link #fromEnvironment}. */
  public boolean isSystem() {
    return kind == Kind.SYSTEM;
  }

  /** The proxy host for an HTTP proxy, else null. */
  public String host() {
    return host;
  }

  /** The proxy port for an HTTP proxy, else 0. */
  public int port() {
    return port;
  }

  /** The user name of the credentials, or null. */
  public String username() {
    return username;
  }

  /** Whether credentials are set. */
  public boolean hasCredentials() {
    return username != null;
  }

  /** The bypass list as given (may be empty). */
  public String noProxy() {
    return noProxy;
  }

  /** Internal: the settings handed to the transport (the only place the password leaves this object). */
  dev.hybridrelay.core.internal.ProxyConfig config() {
    return new dev.hybridrelay.core.internal.ProxyConfig(
        kind == Kind.DIRECT ? dev.hybridrelay.core.internal.ProxyConfig.Mode.DIRECT
            : kind == Kind.SYSTEM ? dev.hybridrelay.core.internal.ProxyConfig.Mode.SYSTEM
            : dev.hybridrelay.core.internal.ProxyConfig.Mode.HTTP,
        server(), dev.hybridrelay.core.internal.NoProxyMatcher.parse(noProxy),
        envSecure == null ? null : envSecure.server(), envPlain == null ? null : envPlain.server(), toString());
  }

  private dev.hybridrelay.core.internal.ProxyConfig.Server server() {
    return kind != Kind.HTTP ? null : new dev.hybridrelay.core.internal.ProxyConfig.Server(host, port, username, password);
  }

  private static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return true;
      }
    }
    return false;
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Malformed percent-encoding in the proxy user or password");
    }
  }

  /** The URL with any user information masked. */
  private static String redact(String url) {
    int scheme = url.indexOf("://");
    int start = scheme < 0 ? 0 : scheme + 3;
    int at = url.lastIndexOf('@');
    if (at >= start) {
      return url.substring(0, start) + "***@" + url.substring(at + 1);
    }
    return url;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RelayProxy)) {
      return false;
    }
    RelayProxy p = (RelayProxy) o;
    return kind == p.kind && port == p.port && Objects.equals(host, p.host) && Objects.equals(username, p.username)
        && Objects.equals(password, p.password) && noProxy.equals(p.noProxy) && Objects.equals(envSecure, p.envSecure)
        && Objects.equals(envPlain, p.envPlain);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, host, port, username, noProxy);
  }

  /** E.g. {@code RelayProxy[http://alice:***@proxy.example.com:3128, noProxy=localhost]}; never the password. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("RelayProxy[");
    switch (kind) {
      case DIRECT:
        sb.append("direct");
        break;
      case SYSTEM:
        sb.append("system");
        if (envSecure != null || envPlain != null) {
          sb.append(", environment https=").append(envSecure == null ? "-" : envSecure.address())
              .append(" http=").append(envPlain == null ? "-" : envPlain.address());
        }
        break;
      default:
        sb.append(address());
        break;
    }
    if (!noProxy.isEmpty()) {
      sb.append(", noProxy=").append(noProxy);
    }
    return sb.append(']').toString();
  }

  private String address() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return "http://" + (username == null ? "" : username + ":***@") + h + ":" + port;
  }
}
