package dev.hybridrelay.forward.internal;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Header rules of the HTTP forwarder ({@code forward -H}): which headers a reverse proxy must not
 * pass on (RFC 9110 §7.6.1 connection-level headers, plus those that the JDK HTTP client sets
 * itself), and the {@code X-Forwarded-*} / {@code Via} headers it adds.
 */
public final class HttpProxyHeaders {
  /** What a proxy adds to {@code Via}. */
  public static final String VIA = "1.1 hybridrelay";

  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
      "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade");
  /** Set by the HTTP client itself (java.net.http refuses them) or replaced by the proxy. */
  private static final Set<String> CLIENT_OWNED = Set.of("host", "content-length", "expect", "http2-settings");

  private HttpProxyHeaders() {}

  /** Lower-case names listed in a {@code Connection} header value. */
  private static Set<String> connectionNamed(String connection) {
    Set<String> named = new HashSet<>();
    if (connection != null) {
      for (String t : connection.split(",")) {
        String n = t.trim().toLowerCase(Locale.ROOT);
        if (!n.isEmpty()) {
          named.add(n);
        }
      }
    }
    return named;
  }

  private static String get(Map<String, String> headers, String name) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  /**
   * Passes the sender's request headers that may go to the target, then the proxy headers:
   * {@code X-Forwarded-For} (extended with the sender's address), {@code X-Forwarded-Host} (the
   * sender's {@code Host}), {@code X-Forwarded-Proto} (the relay's scheme), {@code X-Forwarded-Prefix}
   * ({@code /hc}, the path the forwarder removed), each unless the sender set it (the first one is
   * always extended), and {@code Via} extended with {@link #VIA}.
   */
  public static void request(Map<String, String> in, String remoteIp, String proto, String prefix,
      BiConsumer<String, String> out) {
    Set<String> named = connectionNamed(get(in, "Connection"));
    String xff = null;
    String via = null;
    boolean hasHost = false;
    boolean hasProto = false;
    boolean hasPrefix = false;
    for (Map.Entry<String, String> e : in.entrySet()) {
      String n = e.getKey().toLowerCase(Locale.ROOT);
      if (HOP_BY_HOP.contains(n) || CLIENT_OWNED.contains(n) || named.contains(n)) {
        continue;
      }
      switch (n) {
        case "x-forwarded-for" -> xff = e.getValue();
        case "via" -> via = e.getValue();
        default -> {
          hasHost |= n.equals("x-forwarded-host");
          hasProto |= n.equals("x-forwarded-proto");
          hasPrefix |= n.equals("x-forwarded-prefix");
          out.accept(e.getKey(), e.getValue());
        }
      }
    }
    if (remoteIp != null) {
      out.accept("X-Forwarded-For", xff == null || xff.isBlank() ? remoteIp : xff + ", " + remoteIp);
    } else if (xff != null) {
      out.accept("X-Forwarded-For", xff);
    }
    String host = get(in, "Host");
    if (!hasHost && host != null) {
      out.accept("X-Forwarded-Host", host);
    }
    if (!hasProto) {
      out.accept("X-Forwarded-Proto", proto);
    }
    if (!hasPrefix) {
      out.accept("X-Forwarded-Prefix", prefix);
    }
    out.accept("Via", via == null || via.isBlank() ? VIA : via + ", " + VIA);
  }

  /**
   * Passes the target's response headers that may go back to the sender (repeated headers joined
   * with {@code ", "}, the only form the relay protocol has), with {@code Via} extended.
   * {@code Content-Length} is kept: the relay uses it for the sender.
   */
  public static void response(Map<String, List<String>> in, BiConsumer<String, String> out) {
    Set<String> named = new HashSet<>();
    for (Map.Entry<String, List<String>> e : in.entrySet()) {
      if (e.getKey().equalsIgnoreCase("Connection")) {
        named.addAll(connectionNamed(String.join(",", e.getValue())));
      }
    }
    String via = null;
    for (Map.Entry<String, List<String>> e : in.entrySet()) {
      String n = e.getKey().toLowerCase(Locale.ROOT);
      if (n.startsWith(":") || HOP_BY_HOP.contains(n) || named.contains(n)) {
        continue;
      }
      String v = String.join(", ", e.getValue());
      if (n.equals("via")) {
        via = v;
        continue;
      }
      out.accept(e.getKey(), v);
    }
    out.accept("Via", via == null || via.isBlank() ? VIA : via + ", " + VIA);
  }
}
