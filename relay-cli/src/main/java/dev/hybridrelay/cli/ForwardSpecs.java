package dev.hybridrelay.cli;

import dev.hybridrelay.forward.internal.UnixSockets;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and checks azbridge-style forwarding specs.
 *
 * <pre>
 * -L [bind_address:]port[/port_name]:hc_name      local (cloud side): listen, forward to hc_name
 * -L local_socket[/port_name]:hc_name             local: listen on a Unix socket file
 * -T hc_name:[port_name/][host:]port              remote (edge side): hc_name → host:port (host defaults to localhost)
 * -T hc_name:[port_name/]local_socket             remote: hc_name → a Unix socket file
 * </pre>
 *
 * IPv6 addresses go in brackets ({@code [::1]:8080:hc}, {@code hc:[::1]:22}). Hybrid connection names
 * contain no {@code :}, so the last {@code :} of an {@code -L} spec and the first of a {@code -T} spec
 * separate them. As azbridge, several bindings for one hybrid connection may be given separated by
 * {@code ;} ({@code -L 8080;8443:hc}, {@code -T hc:80;443}), and a port number with the suffix
 * {@code U} is UDP (handed to {@link UdpRules}).
 *
 * <p>Unix sockets: what is not a port expression is a socket path, as in azbridge, if it contains a
 * {@code /} or ends in {@code .sock} (so that a mistyped port is still reported as one). On
 * {@code -L}, a port name follows the path after a {@code /} only when the path ends in {@code .sock}
 * ({@code -L /run/app.sock/web:hc}); on {@code -T} it comes first ({@code -T hc:web//run/app.sock},
 * {@code -T hc:/run/app.sock} has none). A relative socket path on {@code -T} starts with {@code ./}
 * or has a port name before it. The default port name of a socket is its path as written.
 */
final class ForwardSpecs {
  private static final Pattern HC_NAME = Pattern.compile("[0-9A-Za-z][0-9A-Za-z/_\\-.]{0,259}");
  private static final Pattern HOST_NAME = Pattern.compile(
      "(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?");
  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  /** An {@code -L} binding that is a TCP/UDP port expression: {@code [addr:]port[U][/name]}. */
  private static final Pattern LOCAL_PORT_FORM = Pattern.compile("(?:\\[[^\\]]*\\]:|[^:/\\[\\]]*:)?[0-9]+U?(?:/[^/]*)?");
  /** A {@code -T} target that is a port expression: {@code [v6]:port}, {@code host:port} or {@code port}, with optional U. */
  private static final Pattern REMOTE_PORT_FORM = Pattern.compile("(?:\\[[^\\]]*\\]:|[^:/\\[\\]]+:)?[0-9]+U?");
  private static final Pattern LOCAL_SOCKET_WITH_NAME = Pattern.compile("(.*\\.sock)/([^/]+)");
  private static final Pattern UDP_PORT = Pattern.compile("[0-9]+U");

  private ForwardSpecs() {}

  /** Parses an {@code -L} spec with exactly one binding. */
  static ForwardPlan.LocalRule parseLocal(String spec) throws ForwardConfigException {
    List<ForwardPlan.LocalRule> rules = parseLocalList(spec);
    if (rules.size() != 1) {
      throw new ForwardConfigException("-L " + spec + ": expected one binding, found " + rules.size());
    }
    return rules.get(0);
  }

  /** Parses {@code binding[;binding...]:hc_name}, each binding a port or socket expression. */
  static List<ForwardPlan.LocalRule> parseLocalList(String spec) throws ForwardConfigException {
    String origin = "-L " + spec;
    int lastColon = spec.lastIndexOf(':');
    if (lastColon <= 0 || lastColon == spec.length() - 1) {
      throw new ForwardConfigException(origin + ": expected [bind_address:]port[/port_name]:hc_name, "
          + "for example -L 13389/rdp:myhc, or local_socket:hc_name");
    }
    String hc = checkHybridConnection(origin, spec.substring(lastColon + 1));
    List<ForwardPlan.LocalRule> rules = new ArrayList<>();
    for (String binding : spec.substring(0, lastColon).split(";", -1)) {
      if (binding.isEmpty()) {
        throw new ForwardConfigException(origin + ": an empty binding (two ';' in a row, or one at the start)");
      }
      rules.add(parseLocalBinding(origin, binding, hc));
    }
    return rules;
  }

  private static ForwardPlan.LocalRule parseLocalBinding(String origin, String left, String hc)
      throws ForwardConfigException {
    if (!LOCAL_PORT_FORM.matcher(left).matches() && (left.contains("/") || left.endsWith(".sock"))) {
      Matcher named = LOCAL_SOCKET_WITH_NAME.matcher(left);
      String path = left;
      String portName = null;
      if (named.matches()) {
        path = named.group(1);
        portName = checkPortName(origin, named.group(2));
      }
      return ForwardPlan.LocalRule.unixSocket(checkSocketPath(origin, path), portName, hc, origin);
    }
    String bind = null;
    String portAndName;
    if (left.startsWith("[")) {
      int close = left.indexOf(']');
      if (close < 0 || close + 1 >= left.length() || left.charAt(close + 1) != ':') {
        throw new ForwardConfigException(origin + ": an IPv6 bind address must be written [address]:port");
      }
      bind = left.substring(1, close);
      portAndName = left.substring(close + 2);
    } else {
      int slash = left.indexOf('/');
      String addrPort = slash >= 0 ? left.substring(0, slash) : left;
      int colon = addrPort.lastIndexOf(':');
      if (colon >= 0) {
        bind = left.substring(0, colon);
        portAndName = left.substring(colon + 1);
      } else {
        portAndName = left;
      }
    }
    String portText = portAndName;
    String portName = null;
    int slash = portAndName.indexOf('/');
    if (slash >= 0) {
      portText = portAndName.substring(0, slash);
      portName = checkPortName(origin, portAndName.substring(slash + 1));
    }
    boolean udp = UDP_PORT.matcher(portText).matches();
    int port = parsePort(origin, "port", udp ? portText.substring(0, portText.length() - 1) : portText);
    if (bind != null) {
      checkBindAddress(origin, bind);
    }
    if (udp) {
      return UdpRules.local(origin, bind, port, portName, hc);
    }
    return new ForwardPlan.LocalRule(bind, port, portName, hc, origin);
  }

  /** Parses a {@code -T} spec with exactly one binding. */
  static ForwardPlan.RemoteRule parseRemote(String spec) throws ForwardConfigException {
    List<ForwardPlan.RemoteRule> rules = parseRemoteList(spec);
    if (rules.size() != 1) {
      throw new ForwardConfigException("-T " + spec + ": expected one binding, found " + rules.size());
    }
    return rules.get(0);
  }

  /** Parses {@code hc_name:binding[;binding...]}, each binding {@code [port_name/]target}. */
  static List<ForwardPlan.RemoteRule> parseRemoteList(String spec) throws ForwardConfigException {
    String origin = "-T " + spec;
    int colon = spec.indexOf(':');
    if (colon <= 0 || colon == spec.length() - 1) {
      throw new ForwardConfigException(origin + ": expected hc_name:[port_name/]host:port, "
          + "for example -T myhc:rdp/10.0.0.5:3389, or hc_name:[port_name/]local_socket");
    }
    String hc = checkHybridConnection(origin, spec.substring(0, colon));
    List<ForwardPlan.RemoteRule> rules = new ArrayList<>();
    for (String binding : spec.substring(colon + 1).split(";", -1)) {
      if (binding.isEmpty()) {
        throw new ForwardConfigException(origin + ": an empty binding (two ';' in a row, or one at the end)");
      }
      rules.add(parseRemoteBinding(origin, hc, binding));
    }
    return rules;
  }

  private static ForwardPlan.RemoteRule parseRemoteBinding(String origin, String hc, String rest)
      throws ForwardConfigException {
    String portName = null;
    int slash = rest.indexOf('/');
    if (slash > 0 && !rest.startsWith(".") && !rest.startsWith("~")) {
      portName = checkPortName(origin, rest.substring(0, slash));
      rest = rest.substring(slash + 1);
    } else if (slash == 0 && (rest.length() == 1 || rest.contains(":"))) {
      // "/host:22": a socket path has no ':' (as on -L), so this is an empty port name
      throw new ForwardConfigException(origin + ": the port name after '/' is empty");
    }
    if (!REMOTE_PORT_FORM.matcher(rest).matches() && !rest.contains(":")
        && (rest.contains("/") || rest.endsWith(".sock"))) {
      return ForwardPlan.RemoteRule.unixSocket(hc, portName, checkSocketPath(origin, rest), origin);
    }
    String host;
    String portText;
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
        throw new ForwardConfigException(origin + ": an IPv6 target must be written [address]:port");
      }
      host = rest.substring(1, close);
      portText = rest.substring(close + 2);
    } else {
      int c = rest.lastIndexOf(':');
      if (c < 0) {
        host = "localhost";
        portText = rest;
      } else {
        host = rest.substring(0, c);
        portText = rest.substring(c + 1);
      }
    }
    boolean udp = UDP_PORT.matcher(portText).matches();
    int port = parsePort(origin, "target port", udp ? portText.substring(0, portText.length() - 1) : portText);
    checkHost(origin, host);
    if (udp) {
      return UdpRules.remote(origin, hc, portName, host, port);
    }
    return new ForwardPlan.RemoteRule(hc, portName, host, port, origin);
  }

  /** A Unix socket path that fits the system's limit; the message names the path and the limit. */
  static String checkSocketPath(String origin, String path) throws ForwardConfigException {
    try {
      UnixSockets.checkPath(Path.of(path));
    } catch (IllegalArgumentException e) {
      throw new ForwardConfigException(origin + ": " + e.getMessage());
    }
    return path;
  }

  static int parsePort(String origin, String what, String text) throws ForwardConfigException {
    int port;
    try {
      port = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      if (text.matches("[0-9]+u")) {
        throw new ForwardConfigException(origin + ": the " + what + " '" + text + "' looks like a UDP port; "
            + "write the suffix as an upper-case U, for example " + text.substring(0, text.length() - 1) + "U");
      }
      throw new ForwardConfigException(origin + ": the " + what + " must be a number 1-65535 (followed by U for "
          + "UDP), was '" + text + "'");
    }
    if (port < 1 || port > 65535) {
      throw new ForwardConfigException(origin + ": the " + what + " must be 1-65535, was " + port);
    }
    return port;
  }

  static String checkHybridConnection(String origin, String name) throws ForwardConfigException {
    if (name == null || name.isEmpty()) {
      throw new ForwardConfigException(origin + ": the hybrid connection name is missing");
    }
    if (!HC_NAME.matcher(name).matches() || name.contains("//") || name.endsWith("/")) {
      throw new ForwardConfigException(origin + ": '" + name + "' is not a hybrid connection name "
          + "(letters, digits, '.', '-', '_', '/'; starting with a letter or digit)");
    }
    return name;
  }

  static String checkPortName(String origin, String name) throws ForwardConfigException {
    if (name.isEmpty()) {
      throw new ForwardConfigException(origin + ": the port name after '/' is empty");
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > 255) {
      throw new ForwardConfigException(origin + ": the port name is longer than 255 UTF-8 bytes");
    }
    for (int i = 0; i < name.length(); i++) {
      char ch = name.charAt(i);
      if (Character.isISOControl(ch) || Character.isWhitespace(ch) || ch == ':' || ch == '/') {
        throw new ForwardConfigException(origin + ": the port name '" + name
            + "' must not contain spaces, control characters, ':' or '/'");
      }
    }
    return name;
  }

  /** A host name or an IP address literal. */
  static String checkHost(String origin, String host) throws ForwardConfigException {
    if (host.isEmpty()) {
      throw new ForwardConfigException(origin + ": the target host is empty");
    }
    if (host.indexOf(':') >= 0) {
      if (!isIpv6Literal(host)) {
        throw new ForwardConfigException(origin + ": '" + host + "' is not a valid IPv6 address");
      }
      return host;
    }
    if (IPV4.matcher(host).matches()) {
      for (String part : host.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          throw new ForwardConfigException(origin + ": '" + host + "' is not a valid IPv4 address");
        }
      }
      return host;
    }
    if (!HOST_NAME.matcher(host).matches()) {
      throw new ForwardConfigException(origin + ": '" + host + "' is not a host name or IP address");
    }
    return host;
  }

  /**
   * A local address to listen on: {@code *} or empty (all interfaces), {@code localhost}, or an IP
   * literal that belongs to this machine.
   */
  static InetAddress checkBindAddress(String origin, String address) throws ForwardConfigException {
    if (address.isEmpty() || address.equals("*")) {
      try {
        return InetAddress.getByName("0.0.0.0");
      } catch (UnknownHostException e) {
        throw new AssertionError(e);
      }
    }
    if (address.equalsIgnoreCase("localhost")) {
      return InetAddress.getLoopbackAddress();
    }
    boolean literal = address.indexOf(':') >= 0 ? isIpv6Literal(address) : IPV4.matcher(address).matches();
    if (!literal) {
      throw new ForwardConfigException(origin + ": the bind address must be an IP address, 'localhost' or '*', "
          + "was '" + address + "'");
    }
    InetAddress a;
    try {
      a = InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      throw new ForwardConfigException(origin + ": '" + address + "' is not a valid IP address");
    }
    if (a.isAnyLocalAddress() || a.isLoopbackAddress()) {
      return a;
    }
    try {
      if (NetworkInterface.getByInetAddress(a) == null) {
        throw new ForwardConfigException(origin + ": '" + address + "' is not an address of this machine");
      }
    } catch (SocketException e) {
      throw new ForwardConfigException(origin + ": cannot check the bind address '" + address + "': " + e.getMessage());
    }
    return a;
  }

  /** A source address for outbound connections ({@code -b}): an IP literal of this machine. */
  static InetAddress checkSourceAddress(String origin, String address) throws ForwardConfigException {
    InetAddress a = checkBindAddress(origin, address);
    if (a.isAnyLocalAddress()) {
      throw new ForwardConfigException(origin + ": the source address must be one address of this machine, was '"
          + address + "'");
    }
    return a;
  }

  private static boolean isIpv6Literal(String s) {
    if (!s.matches("[0-9A-Fa-f:.]+(%[0-9A-Za-z_.]+)?")) {
      return false;
    }
    try {
      return InetAddress.getByName(s) instanceof java.net.Inet6Address;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
