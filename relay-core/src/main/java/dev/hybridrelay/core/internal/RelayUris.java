package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayConnectionString;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Builds and takes apart the URIs of the Hybrid Connections protocol (protocol reference §2). */
public final class RelayUris {
  private static final Pattern TRACKING_ID = Pattern.compile("TrackingId:\\s*([^,;\\s]+)");

  private RelayUris() {}

  /** {@code ws} with {@code UseDevelopmentEmulator=true} or a {@code ws://} endpoint, else {@code wss}. */
  public static String webSocketScheme(RelayConnectionString cs) {
    String scheme = cs.endpoint().getScheme().toLowerCase(Locale.ROOT);
    return cs.useDevelopmentEmulator() || scheme.equals("ws") ? "ws" : "wss";
  }

  /** {@code host[:port]} of the endpoint, the port only if the endpoint names one. */
  static String authority(RelayConnectionString cs) {
    URI e = cs.endpoint();
    return e.getPort() >= 0 ? hostForUri(e.getHost()) + ":" + e.getPort() : hostForUri(e.getHost());
  }

  private static String hostForUri(String host) {
    return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  /** {@code ws[s]://host[:port]/$hc/{path}?sb-hc-action=listen&sb-hc-id={id}}. */
  public static URI listenUri(RelayConnectionString cs, String trackingId) {
    return listenUri(cs, Map.of(), trackingId);
  }

  /** The listen URI with application query parameters before the {@code sb-hc-*} ones. */
  public static URI listenUri(RelayConnectionString cs, Map<String, List<String>> query, String trackingId) {
    StringBuilder sb = new StringBuilder();
    sb.append(webSocketScheme(cs)).append("://").append(authority(cs)).append("/$hc/").append(cs.entityPath())
        .append('?');
    appendQuery(sb, query);
    sb.append("sb-hc-action=listen&sb-hc-id=").append(encode(trackingId));
    return URI.create(sb.toString());
  }

  private static void appendQuery(StringBuilder sb, Map<String, List<String>> query) {
    if (query == null) {
      return;
    }
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      for (String v : e.getValue()) {
        sb.append(encode(e.getKey()));
        if (v != null) {
          sb.append('=').append(encode(v));
        }
        sb.append('&');
      }
    }
  }

  /**
   * {@code ws[s]://host[:port]/$hc/{path}[/{suffix}]?{app-query}&sb-hc-action=connect&sb-hc-id={id}}.
   */
  public static URI connectUri(RelayConnectionString cs, String pathSuffix, Map<String, List<String>> query,
      String trackingId) {
    StringBuilder sb = new StringBuilder();
    sb.append(webSocketScheme(cs)).append("://").append(authority(cs)).append("/$hc/").append(cs.entityPath());
    if (pathSuffix != null && !pathSuffix.isEmpty()) {
      String s = pathSuffix.startsWith("/") ? pathSuffix.substring(1) : pathSuffix;
      for (String segment : s.split("/", -1)) {
        sb.append('/').append(encode(segment));
      }
    }
    sb.append('?');
    appendQuery(sb, query);
    sb.append("sb-hc-action=connect&sb-hc-id=").append(encode(trackingId));
    return URI.create(sb.toString());
  }

  /** The reject URI: {@code address&sb-hc-statusCode=..&sb-hc-statusDescription=..}. */
  public static URI rejectUri(String acceptAddress, int statusCode, String description) {
    String sep = acceptAddress.contains("?") ? "&" : "?";
    return URI.create(acceptAddress + sep + "sb-hc-statusCode=" + statusCode
        + "&sb-hc-statusDescription=" + encode(description == null ? "" : description));
  }

  /** The token audience, signed like the .NET SDK: {@code http://{host-lowercase}/{hc-path}/}. */
  public static String audience(RelayConnectionString cs) {
    return "http://" + cs.endpoint().getHost().toLowerCase(Locale.ROOT) + "/" + cs.entityPath() + "/";
  }

  /** Percent-encodes a path segment or query component (space as {@code %20}). */
  public static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%7E", "~");
  }

  /** The {@code TrackingId:…} in a relay description, or {@code fallback}. */
  public static String trackingId(String description, String fallback) {
    if (description != null) {
      Matcher m = TRACKING_ID.matcher(description);
      if (m.find()) {
        return m.group(1);
      }
    }
    return fallback;
  }

  /** Parses a raw query into ordered name → values, decoding both. */
  public static Map<String, List<String>> parseQuery(String rawQuery) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return out;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    return out;
  }

  /** The raw query without any {@code sb-hc-*} pair. */
  public static String withoutRelayParameters(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty() || decode(pair).toLowerCase(Locale.ROOT).startsWith("sb-hc-")) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append('&');
      }
      sb.append(pair);
    }
    return sb.toString();
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  /**
   * Whether a listener may open a rendezvous WebSocket to {@code address}, an {@code accept}
   * message's address. The relay chooses it, but a compromised or spoofed control channel must not
   * make the listener connect anywhere it likes (and carry the sender's traffic there).
   *
   * <ul>
   *   <li>The scheme is {@code wss}, or {@code ws} only when the connection itself is plain ws
   *       ({@code UseDevelopmentEmulator=true}): never a downgrade.
   *   <li>The host is the endpoint's own (any port: a listener may reach the relay through a
   *       proxy or port forward while the relay names its own port); or, over TLS and for DNS
   *       names only, the host is a sibling under the endpoint's parent domain on port 443. Azure Relay hands out
   *       gateway nodes such as {@code g63-prod-xxx-sb.servicebus.windows.net} for a namespace
   *       {@code contoso.servicebus.windows.net}; the parent must itself have two labels or more.
   * </ul>
   */
  public static boolean isAllowedRendezvous(RelayConnectionString cs, URI address) {
    String expectedScheme = webSocketScheme(cs);
    String scheme = address.getScheme() == null ? "" : address.getScheme().toLowerCase(Locale.ROOT);
    String host = address.getHost();
    if (host == null || !scheme.equals(expectedScheme)) {
      return false;
    }
    int defaultPort = expectedScheme.equals("wss") ? 443 : 80;
    int port = address.getPort() < 0 ? defaultPort : address.getPort();
    String endpointHost = cs.endpoint().getHost();
    if (host.equalsIgnoreCase(endpointHost)) {
      return true;
    }
    if (!expectedScheme.equals("wss") || port != 443 || isIpLiteral(host) || isIpLiteral(endpointHost)) {
      return false;
    }
    String parent = parentDomain(endpointHost);
    return parent != null && parent.equalsIgnoreCase(parentDomain(host));
  }

  private static String parentDomain(String host) {
    int dot = host.indexOf('.');
    if (dot <= 0) {
      return null;
    }
    String parent = host.substring(dot + 1);
    return parent.indexOf('.') > 0 && !parent.endsWith(".") ? parent : null;
  }

  private static boolean isIpLiteral(String host) {
    return host.startsWith("[") || host.indexOf(':') >= 0 || host.matches("[0-9.]+");
  }
}
