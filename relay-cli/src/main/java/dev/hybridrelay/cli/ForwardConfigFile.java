package dev.hybridrelay.cli;

import dev.hybridrelay.cli.YamlTree.MapNode;
import dev.hybridrelay.cli.YamlTree.Node;
import dev.hybridrelay.cli.YamlTree.Scalar;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads the YAML configuration of {@code hybridrelay forward} ({@code -f config.yml}) and
 * {@code -o Key:value} options. azbridge's configuration files are read unchanged: its keys in the
 * current PascalCase form and in the older snake_case form ({@code relay_name}, {@code bind_address},
 * {@code port}, {@code host}, {@code hostport}, {@code local_socket}), with {@code Bindings} lists:
 *
 * <pre>
 * AzureRelayConnectionString: ${HYBRIDRELAY_CONNECTION_STRING}
 * GatewayPorts: false
 * KeepAliveInterval: 30
 * LocalForward:
 *   - RelayName: myhc
 *     BindAddress: 127.0.0.1
 *     BindPort: 13389
 *     PortName: rdp
 *   - RelayName: app
 *     BindLocalSocket: /run/app/app.sock
 * RemoteForward:
 *   - RelayName: myhc
 *     Bindings:
 *       - { Host: 10.1.2.3, HostPort: 3389, PortName: rdp }
 *       - { LocalSocket: /run/ssh.sock, PortName: ssh }
 * </pre>
 *
 * The project's own keys ({@code StatusInterval}, {@code MaxConnections}, {@code IdleTimeout},
 * {@code WriteTimeout}, {@code StrictPortNames}, {@code SocketMode}) sit beside them. Keys match
 * case-insensitively and with or without underscores. Every string value may use {@code ${NAME}}
 * to insert the environment variable {@code NAME}; an unset variable is an error. Unknown keys are
 * errors; azbridge keys this tool does not implement are errors, or warnings where ignoring them
 * changes nothing that matters (see {@link #warnOnly}). Every message names the file, the line and
 * the key path, for example {@code config.yml line 7: LocalForward[1].BindPort: must be 1-65535, was
 * 70000}. Values of secret keys never appear in messages.
 */
final class ForwardConfigFile extends ConfigReader {
  static final List<String> AZBRIDGE_TOP_KEYS = List.of("AddressFamily", "AzureRelayConnectionString",
      "AzureRelayEndpoint", "AzureRelaySharedAccessKeyName", "AzureRelaySharedAccessKey",
      "AzureRelaySharedAccessSignature", "BindAddress", "ClearAllForwardings", "ConnectionAttempts", "ConnectTimeout",
      "ExitOnForwardFailure", "GatewayPorts", "KeepAliveInterval", "LocalForward", "LogLevel", "LogFileName",
      "RemoteForward");
  static final List<String> OWN_TOP_KEYS = List.of("StatusInterval", "MaxConnections", "IdleTimeout", "WriteTimeout",
      "StrictPortNames", "AcceptAnyNumericPortName", "SocketMode", "HttpTimeout");
  private static final List<String> TOP_KEYS = concat(AZBRIDGE_TOP_KEYS, OWN_TOP_KEYS);
  private static final List<String> LOCAL_BINDING_KEYS = List.of("BindAddress", "BindPort", "PortName",
      "BindLocalSocket", "HostName", "RemoteHostName", "NoAuthentication");
  private static final List<String> LOCAL_KEYS = concat(List.of("RelayName", "ConnectionString", "Bindings"),
      LOCAL_BINDING_KEYS);
  private static final List<String> REMOTE_BINDING_KEYS = List.of("Host", "HostPort", "PortName", "LocalSocket",
      "Http", "Insecure", "Path");
  private static final List<String> REMOTE_KEYS = concat(List.of("RelayName", "ConnectionString", "Bindings"),
      REMOTE_BINDING_KEYS);
  /** azbridge's older snake_case names whose PascalCase form is not just the words joined. */
  private static final Map<String, String> LOCAL_ALIASES = Map.of("port", "BindPort", "localsocket", "BindLocalSocket");
  private static final List<String> SECRET_KEYS = List.of("AzureRelayConnectionString", "AzureRelaySharedAccessKey",
      "AzureRelaySharedAccessSignature", "ConnectionString");

  private ForwardConfigFile(String fileName, boolean option, Function<String, String> env) {
    super(fileName, option, env, SECRET_KEYS);
  }

  /** Reads {@code file} into {@code plan}, using the process environment for {@code ${...}}. */
  static void read(Path file, ForwardPlan plan) throws ForwardConfigException {
    read(file, plan, System::getenv);
  }

  /** Reads {@code file} into {@code plan}, taking environment variables from {@code env}. */
  static void read(Path file, ForwardPlan plan, Function<String, String> env) throws ForwardConfigException {
    String name = file.toString();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ForwardConfigException(name + ": no such file");
    } catch (IOException e) {
      throw new ForwardConfigException(name + ": cannot read: " + e.getMessage());
    }
    Node root = YamlTree.parse(new StringReader(text), name);
    ForwardConfigFile f = new ForwardConfigFile(name, false, env);
    if (!(root instanceof MapNode)) {
      throw f.error(root.line, "(top level)", "expected a mapping of keys such as LocalForward and RemoteForward");
    }
    f.apply((MapNode) root, plan);
  }

  /**
   * Applies azbridge's {@code -o Key:value}: one top-level key of the configuration file, the value
   * after the first {@code :}.
   */
  static void readOption(String option, ForwardPlan plan, Function<String, String> env) throws ForwardConfigException {
    int colon = option.indexOf(':');
    if (colon <= 0) {
      throw new ForwardConfigException("-o " + option + ": expected Key:value, for example -o GatewayPorts:true");
    }
    String key = option.substring(0, colon).trim();
    String value = option.substring(colon + 1).trim();
    ForwardConfigFile f = new ForwardConfigFile("-o", true, env);
    String canonical = canonical(key, TOP_KEYS, Map.of());
    if ("LocalForward".equals(canonical) || "RemoteForward".equals(canonical)) {
      throw f.error(1, key, "give forwards with -L and -T (or in a file with -f), not with -o");
    }
    MapNode m = new MapNode(1);
    m.values.put(key, new Scalar(1, value, value.isEmpty()));
    m.keyLines.put(key, 1);
    f.apply(m, plan);
  }

  // --- mapping onto the plan ---

  private void apply(MapNode root, ForwardPlan plan) throws ForwardConfigException {
    checkKeys(root, "", TOP_KEYS, Map.of());
    for (Map.Entry<String, Node> e : root.values.entrySet()) {
      String key = canonical(e.getKey(), TOP_KEYS, Map.of());
      Node v = e.getValue();
      int line = root.keyLines.get(e.getKey());
      switch (key) {
        case "AzureRelayConnectionString":
          plan.connectionString = string(v, key, line);
          plan.connectionStringOrigin = where(line, key);
          checkConnectionString(plan.connectionString, line, key);
          break;
        case "AzureRelayEndpoint":
          plan.endpoint = string(v, key, line);
          break;
        case "AzureRelaySharedAccessKeyName":
          plan.sharedAccessKeyName = string(v, key, line);
          break;
        case "AzureRelaySharedAccessKey":
          plan.sharedAccessKey = string(v, key, line);
          break;
        case "AzureRelaySharedAccessSignature":
          plan.sharedAccessSignature = string(v, key, line);
          break;
        case "AddressFamily": {
          String s = string(v, key, line).trim().toLowerCase(Locale.ROOT);
          if (!s.equals("any")) {
            throw error(line, key, "'" + s + "' is not supported; this tool uses any address family "
                + "(remove the key or set it to any; use IPv4 or IPv6 addresses in the rules instead)");
          }
          break;
        }
        case "ClearAllForwardings":
          if (bool(v, key)) {
            throw error(line, key, "true is not supported; remove the forwards you do not want instead");
          }
          break;
        case "ConnectionAttempts":
          integer(v, key, 1, 10);
          warnOnly(plan, line, key, "ignored: the forwarders try once at start, and a remote forwarder's listener "
              + "reconnects by itself after that");
          break;
        case "ConnectTimeout": {
          int s = integer(v, key, 0, 120);
          plan.connectTimeout = s == 0 ? null : Duration.ofSeconds(s);
          break;
        }
        case "ExitOnForwardFailure":
          if (!bool(v, key)) {
            warnOnly(plan, line, key, "false is ignored: the tool always stops when a forward cannot be set up");
          }
          break;
        case "GatewayPorts":
          plan.gatewayPorts = bool(v, key);
          break;
        case "KeepAliveInterval":
          plan.keepAliveInterval = Duration.ofSeconds(integer(v, key, 1, 3600));
          break;
        case "LogLevel":
          plan.logLevel = logLevel(string(v, key, line), line, key);
          break;
        case "LogFileName":
          throw error(line, key, "not supported: the tool logs to standard error; redirect it, "
              + "for example 2>>forward.log");
        case "BindAddress": {
          String s = string(v, key, line);
          ForwardSpecs.checkSourceAddress(where(line, key), s);
          plan.sourceAddress = s;
          plan.sourceAddressOrigin = where(line, key);
          break;
        }
        case "StatusInterval":
          plan.statusInterval = seconds(v, key);
          break;
        case "MaxConnections":
          plan.maxConnections = integer(v, key, 1, 1_000_000);
          break;
        case "IdleTimeout":
          plan.idleTimeout = seconds(v, key);
          break;
        case "WriteTimeout":
          plan.writeTimeout = seconds(v, key);
          break;
        case "HttpTimeout": {
          Duration d = seconds(v, key);
          if (d.isZero()) {
            throw error(line, key, "must be at least 1 second");
          }
          plan.httpTimeout = d;
          break;
        }
        case "StrictPortNames":
          plan.strictPortNames = bool(v, key);
          break;
        case "AcceptAnyNumericPortName": // the earlier opt-in; the rule is on unless strict
          plan.strictPortNames = !bool(v, key);
          break;
        case "SocketMode":
          plan.socketMode = ForwardCommand.socketMode(where(line, key), string(v, key, line).trim());
          break;
        case "LocalForward": {
          int i = 0;
          for (MapNode m : entries(v, key)) {
            localEntry(m, key + "[" + i++ + "]", plan);
          }
          break;
        }
        case "RemoteForward": {
          int i = 0;
          for (MapNode m : entries(v, key)) {
            remoteEntry(m, key + "[" + i++ + "]", plan);
          }
          break;
        }
        default:
          throw new AssertionError(key);
      }
    }
  }

  private void localEntry(MapNode m, String path, ForwardPlan plan) throws ForwardConfigException {
    checkKeys(m, path + ".", LOCAL_KEYS, LOCAL_ALIASES);
    String hc = optionalString(m, "RelayName", path, LOCAL_ALIASES);
    if (hc == null) {
      throw error(m.line, path + ".RelayName", "missing; the hybrid connection to forward to");
    }
    check(m, "RelayName", path, LOCAL_ALIASES, s -> ForwardSpecs.checkHybridConnection("", s));
    entryConnectionString(m, path, hc, plan, LOCAL_ALIASES);
    Node bindings = value(m, "Bindings", LOCAL_ALIASES);
    if (bindings == null) {
      localBinding(m, path, hc, plan);
      return;
    }
    for (String k : List.of("BindAddress", "BindPort", "PortName", "BindLocalSocket")) {
      if (actualKey(m, k, LOCAL_ALIASES) != null) {
        throw error(m.keyLines.get(actualKey(m, k, LOCAL_ALIASES)), path + "." + k,
            "give either Bindings or " + k + " on the entry, not both");
      }
    }
    boolean anonymous = optionalBool(m, "NoAuthentication", path, LOCAL_ALIASES);
    int i = 0;
    for (MapNode b : entries(bindings, path + ".Bindings")) {
      String bp = path + ".Bindings[" + i++ + "]";
      checkKeys(b, bp + ".", LOCAL_BINDING_KEYS, LOCAL_ALIASES);
      localBinding(b, bp, hc, plan);
      if (anonymous) {
        plan.anonymousHybridConnections.add(hc.toLowerCase(Locale.ROOT));
      }
    }
  }

  private void localBinding(MapNode m, String path, String hc, ForwardPlan plan) throws ForwardConfigException {
    Map<String, String> a = LOCAL_ALIASES;
    String bind = optionalString(m, "BindAddress", path, a);
    Integer port = optionalInt(m, "BindPort", path, a, -65535, 65535);
    String socket = optionalString(m, "BindLocalSocket", path, a);
    String portName = optionalString(m, "PortName", path, a);
    if (optionalBool(m, "NoAuthentication", path, a)) {
      plan.anonymousHybridConnections.add(hc.toLowerCase(Locale.ROOT));
    }
    if (portName != null) {
      check(m, "PortName", path, a, s -> ForwardSpecs.checkPortName("", s));
    }
    String origin = where(m.line, path);
    if (socket != null) {
      if (port != null || bind != null) {
        throw error(m.line, path, "BindLocalSocket cannot be combined with BindPort or BindAddress");
      }
      check(m, "BindLocalSocket", path, a, s -> ForwardSpecs.checkSocketPath("", s));
      plan.localRules.add(ForwardPlan.LocalRule.unixSocket(socket, portName, hc, origin));
      return;
    }
    if (port == null) {
      throw error(m.line, path + ".BindPort", "missing; the local TCP port to listen on (1-65535), "
          + "or BindLocalSocket for a Unix socket");
    }
    if (port == 0) {
      throw error(m.keyLines.get(actualKey(m, "BindPort", a)), path + ".BindPort", "must be 1-65535, was 0");
    }
    if (bind != null) {
      check(m, "BindAddress", path, a, s -> ForwardSpecs.checkBindAddress("", s));
    }
    if (port < 0) { // azbridge: a negative port is UDP
      plan.localRules.add(UdpRules.local(origin, bind, -port, portName, hc));
      return;
    }
    plan.localRules.add(new ForwardPlan.LocalRule(bind, port, portName, hc, origin));
  }

  private void remoteEntry(MapNode m, String path, ForwardPlan plan) throws ForwardConfigException {
    checkKeys(m, path + ".", REMOTE_KEYS, Map.of());
    String hc = optionalString(m, "RelayName", path, Map.of());
    if (hc == null) {
      throw error(m.line, path + ".RelayName", "missing; the hybrid connection to listen on");
    }
    check(m, "RelayName", path, Map.of(), s -> ForwardSpecs.checkHybridConnection("", s));
    entryConnectionString(m, path, hc, plan, Map.of());
    Node bindings = value(m, "Bindings", Map.of());
    if (bindings == null) {
      remoteBinding(m, path, hc, plan);
      return;
    }
    for (String k : REMOTE_BINDING_KEYS) {
      if (actualKey(m, k, Map.of()) != null) {
        throw error(m.keyLines.get(actualKey(m, k, Map.of())), path + "." + k,
            "give either Bindings or " + k + " on the entry, not both");
      }
    }
    int i = 0;
    for (MapNode b : entries(bindings, path + ".Bindings")) {
      String bp = path + ".Bindings[" + i++ + "]";
      checkKeys(b, bp + ".", REMOTE_BINDING_KEYS, Map.of());
      remoteBinding(b, bp, hc, plan);
    }
  }

  private void remoteBinding(MapNode m, String path, String hc, ForwardPlan plan) throws ForwardConfigException {
    Map<String, String> a = Map.of();
    String portName = optionalString(m, "PortName", path, a);
    String host = optionalString(m, "Host", path, a);
    Integer port = optionalInt(m, "HostPort", path, a, -65535, 65535);
    String socket = optionalString(m, "LocalSocket", path, a);
    boolean insecure = optionalBool(m, "Insecure", path, a);
    String prefix = optionalString(m, "Path", path, a);
    if (optionalBool(m, "Http", path, a)) {
      httpBinding(m, path, hc, plan, portName, host, port, socket, insecure, prefix);
      return;
    }
    if (insecure) {
      throw error(m.keyLines.get(actualKey(m, "Insecure", a)), path + ".Insecure",
          "applies only to an HTTP forward (Http: true with PortName: https)");
    }
    if (prefix != null) {
      throw error(m.keyLines.get(actualKey(m, "Path", a)), path + ".Path", "applies only to an HTTP forward (Http: true)");
    }
    if (portName != null) {
      check(m, "PortName", path, a, s -> ForwardSpecs.checkPortName("", s));
    }
    String origin = where(m.line, path);
    if (socket != null) {
      if (port != null || host != null) {
        throw error(m.line, path, "LocalSocket cannot be combined with Host or HostPort");
      }
      check(m, "LocalSocket", path, a, s -> ForwardSpecs.checkSocketPath("", s));
      plan.remoteRules.add(ForwardPlan.RemoteRule.unixSocket(hc, portName, socket, origin));
      return;
    }
    if (port == null) {
      throw error(m.line, path + ".HostPort", "missing; the target TCP port (1-65535), or LocalSocket for a "
          + "Unix socket");
    }
    if (port == 0) {
      throw error(m.keyLines.get(actualKey(m, "HostPort", a)), path + ".HostPort", "must be 1-65535, was 0");
    }
    if (host != null) {
      check(m, "Host", path, a, s -> ForwardSpecs.checkHost("", s));
    }
    String h = host == null ? "localhost" : host;
    if (port < 0) { // azbridge: a negative port is UDP
      plan.remoteRules.add(UdpRules.remote(origin, hc, portName, h, -port));
      return;
    }
    plan.remoteRules.add(new ForwardPlan.RemoteRule(hc, portName, h, port, origin));
  }

  /** {@code Http: true} (azbridge's -H in the file): PortName http or https is the scheme. */
  private void httpBinding(MapNode m, String path, String hc, ForwardPlan plan, String portName, String host,
      Integer port, String socket, boolean insecure, String prefix) throws ForwardConfigException {
    Map<String, String> a = Map.of();
    if (socket != null) {
      throw error(m.keyLines.get(actualKey(m, "LocalSocket", a)), path + ".LocalSocket",
          "an HTTP forward (Http: true) goes to Host and HostPort, not to a Unix socket");
    }
    String origin = where(m.line, path);
    String scheme = "http";
    if (portName != null) {
      int line = m.keyLines.get(actualKey(m, "PortName", a));
      scheme = HttpRules.checkScheme(where(line, path + ".PortName"), portName);
    }
    if (port != null && port <= 0) {
      throw error(m.keyLines.get(actualKey(m, "HostPort", a)), path + ".HostPort", "must be 1-65535, was " + port);
    }
    if (host != null) {
      check(m, "Host", path, a, s -> ForwardSpecs.checkHost("", s));
    }
    String p = HttpRules.checkPath(where(m.line, path + ".Path"), prefix);
    int hostPort = port != null ? port : scheme.equals("https") ? 443 : 80;
    plan.httpRules.add(new ForwardPlan.HttpRule(hc, scheme, host == null ? "localhost" : host, hostPort, p, insecure,
        origin));
  }

  /** azbridge's per-entry {@code ConnectionString}: overrides the global one for this hybrid connection. */
  private void entryConnectionString(MapNode m, String path, String hc, ForwardPlan plan, Map<String, String> aliases)
      throws ForwardConfigException {
    String actual = actualKey(m, "ConnectionString", aliases);
    if (actual == null) {
      return;
    }
    int line = m.keyLines.get(actual);
    String cs = string(m.values.get(actual), path + ".ConnectionString", line);
    checkConnectionString(cs, line, path + ".ConnectionString");
    String k = hc.toLowerCase(Locale.ROOT);
    String before = plan.hybridConnectionStrings.get(k);
    if (before != null && !before.equals(cs)) {
      throw error(line, path + ".ConnectionString", "hybrid connection '" + hc + "' has another ConnectionString "
          + "in an earlier entry; give it once");
    }
    plan.hybridConnectionStrings.put(k, cs);
    plan.hybridConnectionStringOrigins.put(k, where(line, path + ".ConnectionString"));
  }

  private void checkConnectionString(String cs, int line, String key) throws ForwardConfigException {
    try {
      dev.hybridrelay.core.RelayConnectionString.parse(cs);
    } catch (IllegalArgumentException ex) {
      throw error(line, key, ex.getMessage());
    }
  }

  /** azbridge's LogLevel as a logback level name. */
  private String logLevel(String value, int line, String key) throws ForwardConfigException {
    switch (value.trim().toUpperCase(Locale.ROOT)) {
      case "QUIET":
        return "OFF";
      case "FATAL":
      case "ERROR":
        return "ERROR";
      case "INFO":
        return "INFO";
      case "VERBOSE":
      case "DEBUG":
      case "DEBUG1":
        return "DEBUG";
      case "DEBUG2":
      case "DEBUG3":
        return "TRACE";
      default:
        throw error(line, key, "must be one of QUIET, FATAL, ERROR, INFO, VERBOSE, DEBUG, DEBUG1, DEBUG2, DEBUG3, "
            + "was '" + value + "'");
    }
  }

  /**
   * An azbridge key that this tool does not implement but whose absence changes nothing that
   * matters: a warning at start, never an error.
   */
  private void warnOnly(ForwardPlan plan, int line, String key, String message) {
    plan.warnings.add(where(line, key) + ": " + message);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return List.copyOf(out);
  }
}
