package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.forward.HttpForwarder;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * HTTP MAPPING — {@code -H hc_name:{http|https}/[host[/path]:]port} (azbridge's remote HTTP
 * forwarder) and configuration entries with {@code Http: true}, turned into {@link HttpForwarder}s.
 *
 * <p>As azbridge: the port name, {@code http} or {@code https}, is the target's scheme; the host
 * defaults to {@code localhost}; a port-less {@code http/host} uses 80 (443 for https); the path
 * after the host is the prefix that the request path (without the hybrid connection name) is
 * appended to. A hybrid connection with an HTTP forward has no {@code -T} rule (azbridge: mutually
 * exclusive), and only one HTTP target.
 */
final class HttpRules {
  private static final Pattern PORT = Pattern.compile("[0-9]+");

  private HttpRules() {}

  /** Parses a {@code -H} spec. */
  static ForwardPlan.HttpRule parse(String spec) throws ForwardConfigException {
    String origin = "-H " + spec;
    String usage = ": expected hc_name:{http|https}/[host[/path]:]port, for example -H web:http/8080 or "
        + "-H web:https/intranet.example.com/app:8443";
    int colon = spec.indexOf(':');
    if (colon <= 0 || colon == spec.length() - 1) {
      throw new ForwardConfigException(origin + usage);
    }
    String hc = ForwardSpecs.checkHybridConnection(origin, spec.substring(0, colon));
    String rest = spec.substring(colon + 1);
    if (rest.contains(";")) {
      throw new ForwardConfigException(origin + ": one HTTP target per hybrid connection (no ';' list)");
    }
    int slash = rest.indexOf('/');
    if (slash < 0) {
      throw new ForwardConfigException(origin + usage);
    }
    String scheme = checkScheme(origin, rest.substring(0, slash));
    rest = rest.substring(slash + 1);
    if (rest.isEmpty()) {
      throw new ForwardConfigException(origin + ": the port (or host) after '" + scheme + "/' is missing");
    }
    String hostPath;
    Integer port = null;
    int c = rest.lastIndexOf(':');
    int bracket = rest.lastIndexOf(']');
    if (PORT.matcher(rest).matches()) {
      hostPath = "localhost";
      port = ForwardSpecs.parsePort(origin, "target port", rest);
    } else if (c > bracket) {
      hostPath = rest.substring(0, c);
      port = ForwardSpecs.parsePort(origin, "target port", rest.substring(c + 1));
    } else {
      hostPath = rest; // azbridge: http/host uses the scheme's default port
    }
    String host;
    String path;
    if (hostPath.startsWith("[")) {
      int close = hostPath.indexOf(']');
      if (close < 0) {
        throw new ForwardConfigException(origin + ": an IPv6 host must be written [address]");
      }
      host = hostPath.substring(1, close);
      path = hostPath.substring(close + 1);
      if (!path.isEmpty() && !path.startsWith("/")) {
        throw new ForwardConfigException(origin + usage);
      }
    } else {
      int s = hostPath.indexOf('/');
      host = s < 0 ? hostPath : hostPath.substring(0, s);
      path = s < 0 ? "" : hostPath.substring(s);
    }
    ForwardSpecs.checkHost(origin, host);
    int p = port != null ? port : scheme.equals("https") ? 443 : 80;
    return new ForwardPlan.HttpRule(hc, scheme, host, p, checkPath(origin, path), false, origin);
  }

  static String checkScheme(String origin, String portName) throws ForwardConfigException {
    String s = portName.toLowerCase(Locale.ROOT);
    if (!s.equals("http") && !s.equals("https")) {
      throw new ForwardConfigException(origin + ": the port name of an HTTP forward must be 'http' or 'https' "
          + "(the target's scheme), was '" + portName + "'");
    }
    return s;
  }

  /** A path prefix: {@code ""} or {@code /a/b}; made {@code /a/b/}. */
  static String checkPath(String origin, String path) throws ForwardConfigException {
    if (path == null || path.isEmpty() || path.equals("/")) {
      return "/";
    }
    String p = path.startsWith("/") ? path : "/" + path;
    if (p.contains("?") || p.contains("#")) {
      throw new ForwardConfigException(origin + ": the path '" + path + "' cannot contain '?' or '#'");
    }
    try {
      URI.create("http://h" + p);
    } catch (IllegalArgumentException e) {
      throw new ForwardConfigException(origin + ": the path '" + path + "' is not a valid URI path "
          + "(percent-encode spaces and other special characters)");
    }
    return p.endsWith("/") ? p : p + "/";
  }

  /** Checks that no hybrid connection has two HTTP targets or an HTTP target and {@code -T} rules. */
  static void validate(ForwardPlan plan) throws ForwardConfigException {
    Map<String, ForwardPlan.HttpRule> seen = new LinkedHashMap<>();
    for (ForwardPlan.HttpRule r : plan.httpRules) {
      String k = r.hybridConnection().toLowerCase(Locale.ROOT);
      ForwardPlan.HttpRule before = seen.put(k, r);
      if (before != null) {
        throw new ForwardConfigException(r.origin() + ": hybrid connection '" + r.hybridConnection()
            + "' already forwards HTTP to a target (" + before.origin() + "); one HTTP target per hybrid connection");
      }
    }
    for (ForwardPlan.RemoteRule r : plan.remoteRules) {
      ForwardPlan.HttpRule h = seen.get(r.hybridConnection().toLowerCase(Locale.ROOT));
      if (h != null) {
        throw new ForwardConfigException(r.origin() + ": hybrid connection '" + r.hybridConnection()
            + "' forwards HTTP (" + h.origin() + "); an HTTP forward and -T rules cannot share one, as in azbridge");
      }
    }
  }

  /** The forwarder for one rule (not started). */
  static HttpForwarder forwarder(RelayConnectionString cs, ForwardPlan.HttpRule r, Duration timeout,
      java.util.function.Consumer<dev.hybridrelay.core.RelayListener.Builder> listener) {
    HttpForwarder.Builder b = HttpForwarder.builder(cs).hybridConnection(r.hybridConnection()).target(r.uri())
        .insecure(r.insecure()).listenerCustomizer(listener);
    if (timeout != null) {
      b.requestTimeout(timeout);
    }
    return b.build();
  }
}
