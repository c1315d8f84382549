package dev.hybridrelay.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the YAML configuration of {@code hybridrelay forward} ({@code -f config.yml}). The keys follow
 * azbridge's configuration file:
 *
 * <pre>
 * AzureRelayConnectionString: ${HYBRIDRELAY_CONNECTION_STRING}
 * AzureRelaySharedAccessKeyName: send-listen     # optional, overrides the connection string's
 * AzureRelaySharedAccessKey: ${RELAY_KEY}        # optional, overrides the connection string's
 * GatewayPorts: false
 * BindAddress: 10.0.0.5                          # source address of connections to targets
 * StatusInterval: 60                             # seconds between summaries, 0 = none
 * MaxConnections: 1000
 * IdleTimeout: 0                                 # seconds, 0 = none
 * WriteTimeout: 60                               # seconds, 0 = none
 * StrictPortNames: false                        # true: no lone-target rule
 * LocalForward:
 *   - BindAddress: 127.0.0.1
 *     BindPort: 13389
 *     PortName: rdp
 *     RelayName: myhc
 * RemoteForward:
 *   - RelayName: myhc
 *     PortName: rdp
 *     Host: 10.1.2.3
 *     HostPort: 3389
 * </pre>
 *
 * Keys match case-insensitively. Every string value may use {@code ${NAME}} to insert the
 * environment variable {@code NAME}; an unset variable is an error. Every error names the file, the
 * line and the key path, for example {@code config.yml line 7: LocalForward[1].BindPort: must be
 * 1-65535, was 70000}. Values of secret keys never appear in messages.
 */
final class ForwardConfigFile {
  private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
  private static final List<String> TOP_KEYS = List.of("AzureRelayConnectionString", "AzureRelaySharedAccessKeyName",
      "AzureRelaySharedAccessKey", "GatewayPorts", "BindAddress", "StatusInterval", "MaxConnections", "IdleTimeout",
      "WriteTimeout", "StrictPortNames", "AcceptAnyNumericPortName", "LocalForward", "RemoteForward");
  private static final List<String> LOCAL_KEYS = List.of("BindAddress", "BindPort", "PortName", "RelayName");
  private static final List<String> REMOTE_KEYS = List.of("RelayName", "PortName", "Host", "HostPort");
  private static final List<String> SECRET_KEYS = List.of("AzureRelayConnectionString", "AzureRelaySharedAccessKey");

  private final String fileName;
  private final Function<String, String> env;

  private ForwardConfigFile(String fileName, Function<String, String> env) {
    this.fileName = fileName;
    this.env = env;
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
    new ForwardConfigFile(name, env).parse(new java.io.StringReader(text), plan);
  }

  // --- a YAML tree that remembers lines ---

  private abstract static class Node {
    final int line;

    Node(int line) {
      this.line = line;
    }
  }

  private static final class Scalar extends Node {
    final String text;
    final boolean isNull;

    Scalar(int line, String text, boolean isNull) {
      super(line);
      this.text = text;
      this.isNull = isNull;
    }
  }

  private static final class MapNode extends Node {
    final Map<String, Node> values = new LinkedHashMap<>();
    final Map<String, Integer> keyLines = new LinkedHashMap<>();

    MapNode(int line) {
      super(line);
    }
  }

  private static final class ListNode extends Node {
    final List<Node> items = new ArrayList<>();

    ListNode(int line) {
      super(line);
    }
  }

  private void parse(Reader reader, ForwardPlan plan) throws ForwardConfigException {
    Node root;
    try (JsonParser p = new YAMLFactory().createParser(reader)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw new ForwardConfigException(fileName + ": the file is empty");
      }
      root = readNode(p, t);
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      String msg = e.getOriginalMessage();
      throw new ForwardConfigException(fileName + (line > 0 ? " line " + line : "") + ": not valid YAML: "
          + (msg == null ? "" : msg.lines().findFirst().orElse("")));
    } catch (IOException e) {
      throw new ForwardConfigException(fileName + ": cannot read: " + e.getMessage());
    }
    if (!(root instanceof MapNode)) {
      throw error(root.line, "(top level)", "expected a mapping of keys such as LocalForward and RemoteForward");
    }
    apply((MapNode) root, plan);
  }

  private Node readNode(JsonParser p, JsonToken t) throws IOException, ForwardConfigException {
    int line = p.currentTokenLocation().getLineNr();
    switch (t) {
      case START_OBJECT: {
        MapNode m = new MapNode(line);
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          int keyLine = p.currentTokenLocation().getLineNr();
          Node value = readNode(p, p.nextToken());
          if (m.values.containsKey(key)) {
            throw error(keyLine, key, "appears twice (also on line " + m.keyLines.get(key) + ")");
          }
          m.values.put(key, value);
          m.keyLines.put(key, keyLine);
        }
        return m;
      }
      case START_ARRAY: {
        ListNode l = new ListNode(line);
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
          l.items.add(readNode(p, t));
        }
        return l;
      }
      case VALUE_NULL:
        return new Scalar(line, null, true);
      default:
        return new Scalar(line, p.getText(), false);
    }
  }

  // --- mapping onto the plan ---

  private void apply(MapNode root, ForwardPlan plan) throws ForwardConfigException {
    checkKeys(root, "", TOP_KEYS);
    for (Map.Entry<String, Node> e : root.values.entrySet()) {
      String key = canonical(e.getKey(), TOP_KEYS);
      Node v = e.getValue();
      int line = root.keyLines.get(e.getKey());
      switch (key) {
        case "AzureRelayConnectionString":
          plan.connectionString = string(v, key, line);
          plan.connectionStringOrigin = fileName + " line " + line + ": " + key;
          try {
            dev.hybridrelay.core.RelayConnectionString.parse(plan.connectionString);
          } catch (IllegalArgumentException ex) {
            throw error(line, key, ex.getMessage());
          }
          break;
        case "AzureRelaySharedAccessKeyName":
          plan.sharedAccessKeyName = string(v, key, line);
          break;
        case "AzureRelaySharedAccessKey":
          plan.sharedAccessKey = string(v, key, line);
          break;
        case "GatewayPorts":
          plan.gatewayPorts = bool(v, key);
          break;
        case "BindAddress": {
          String s = string(v, key, line);
          try {
            ForwardSpecs.checkSourceAddress(where(line, key), s);
          } catch (ForwardConfigException ex) {
            throw new ForwardConfigException(ex.getMessage());
          }
          plan.sourceAddress = s;
          plan.sourceAddressOrigin = where(line, key);
          break;
        }
        case "StatusInterval":
          plan.statusInterval = seconds(v, key);
          break;
        case "MaxConnections": {
          int n = integer(v, key, 1, 1_000_000);
          plan.maxConnections = n;
          break;
        }
        case "IdleTimeout":
          plan.idleTimeout = seconds(v, key);
          break;
        case "WriteTimeout":
          plan.writeTimeout = seconds(v, key);
          break;
        case "StrictPortNames":
          plan.strictPortNames = bool(v, key);
          break;
        case "AcceptAnyNumericPortName": // the earlier opt-in; the rule is on unless strict
          plan.strictPortNames = !bool(v, key);
          break;
        case "LocalForward":
          int i = 0;
          for (MapNode m : entries(v, key)) {
            plan.localRules.add(localRule(m, key + "[" + i++ + "]"));
          }
          break;
        case "RemoteForward":
          int j = 0;
          for (MapNode m : entries(v, key)) {
            plan.remoteRules.add(remoteRule(m, key + "[" + j++ + "]"));
          }
          break;
        default:
          throw new AssertionError(key);
      }
    }
  }

  private ForwardPlan.LocalRule localRule(MapNode m, String path) throws ForwardConfigException {
    checkKeys(m, path + ".", LOCAL_KEYS);
    String bind = optionalString(m, "BindAddress", path);
    Integer port = optionalInt(m, "BindPort", path, 1, 65535);
    String portName = optionalString(m, "PortName", path);
    String hc = optionalString(m, "RelayName", path);
    if (port == null) {
      throw error(m.line, path + ".BindPort", "missing; the local TCP port to listen on (1-65535)");
    }
    if (hc == null) {
      throw error(m.line, path + ".RelayName", "missing; the hybrid connection to forward to");
    }
    check(m, "RelayName", path, s -> ForwardSpecs.checkHybridConnection("", s));
    if (portName != null) {
      check(m, "PortName", path, s -> ForwardSpecs.checkPortName("", s));
    }
    if (bind != null) {
      check(m, "BindAddress", path, s -> ForwardSpecs.checkBindAddress("", s));
    }
    return new ForwardPlan.LocalRule(bind, port, portName, hc, fileName + " line " + m.line + ": " + path);
  }

  private ForwardPlan.RemoteRule remoteRule(MapNode m, String path) throws ForwardConfigException {
    checkKeys(m, path + ".", REMOTE_KEYS);
    String hc = optionalString(m, "RelayName", path);
    String portName = optionalString(m, "PortName", path);
    String host = optionalString(m, "Host", path);
    Integer port = optionalInt(m, "HostPort", path, 1, 65535);
    if (hc == null) {
      throw error(m.line, path + ".RelayName", "missing; the hybrid connection to listen on");
    }
    if (port == null) {
      throw error(m.line, path + ".HostPort", "missing; the target TCP port (1-65535)");
    }
    check(m, "RelayName", path, s -> ForwardSpecs.checkHybridConnection("", s));
    if (portName != null) {
      check(m, "PortName", path, s -> ForwardSpecs.checkPortName("", s));
    }
    if (host != null) {
      check(m, "Host", path, s -> ForwardSpecs.checkHost("", s));
    }
    return new ForwardPlan.RemoteRule(hc, portName, host == null ? "localhost" : host, port,
        fileName + " line " + m.line + ": " + path);
  }

  // --- value helpers ---

  private interface Check {
    void check(String value) throws ForwardConfigException;
  }

  /** Runs a spec check and re-words its message with file, line and key. */
  private void check(MapNode m, String key, String path, Check c) throws ForwardConfigException {
    String actual = actualKey(m, key);
    String value = expand(((Scalar) m.values.get(actual)).text, m.keyLines.get(actual), path + "." + key);
    try {
      c.check(value);
    } catch (ForwardConfigException e) {
      String msg = e.getMessage();
      if (msg.startsWith(": ")) {
        msg = msg.substring(2);
      }
      throw error(m.keyLines.get(actual), path + "." + key, msg);
    }
  }

  private void checkKeys(MapNode m, String prefix, List<String> known) throws ForwardConfigException {
    for (String k : m.values.keySet()) {
      if (canonical(k, known) == null) {
        throw error(m.keyLines.get(k), prefix + k, "unknown key; known keys here: " + String.join(", ", known));
      }
    }
  }

  private static String canonical(String key, List<String> known) {
    for (String k : known) {
      if (k.equalsIgnoreCase(key)) {
        return k;
      }
    }
    return null;
  }

  private static String actualKey(MapNode m, String key) {
    for (String k : m.values.keySet()) {
      if (k.equalsIgnoreCase(key)) {
        return k;
      }
    }
    return null;
  }

  private List<MapNode> entries(Node v, String key) throws ForwardConfigException {
    if (v instanceof Scalar && ((Scalar) v).isNull) {
      return List.of();
    }
    if (!(v instanceof ListNode)) {
      throw error(v.line, key, "expected a list of entries (lines starting with '- ')");
    }
    List<MapNode> out = new ArrayList<>();
    int i = 0;
    for (Node n : ((ListNode) v).items) {
      if (!(n instanceof MapNode)) {
        throw error(n.line, key + "[" + i + "]", "expected an entry with keys such as RelayName");
      }
      out.add((MapNode) n);
      i++;
    }
    return out;
  }

  private String optionalString(MapNode m, String key, String path) throws ForwardConfigException {
    String actual = actualKey(m, key);
    if (actual == null) {
      return null;
    }
    Node v = m.values.get(actual);
    if (v instanceof Scalar && ((Scalar) v).isNull) {
      return null;
    }
    return string(v, path + "." + key, m.keyLines.get(actual));
  }

  private Integer optionalInt(MapNode m, String key, String path, int min, int max) throws ForwardConfigException {
    String actual = actualKey(m, key);
    if (actual == null) {
      return null;
    }
    Node v = m.values.get(actual);
    if (v instanceof Scalar && ((Scalar) v).isNull) {
      return null;
    }
    return integer(v, path + "." + key, min, max);
  }

  private String string(Node v, String key, int line) throws ForwardConfigException {
    if (!(v instanceof Scalar) || ((Scalar) v).isNull) {
      throw error(v.line, key, "expected a single value");
    }
    return expand(((Scalar) v).text, line, key);
  }

  private int integer(Node v, String key, int min, int max) throws ForwardConfigException {
    String s = string(v, key, v.line).trim();
    long n;
    try {
      n = Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw error(v.line, key, "must be a whole number " + min + "-" + max + ", was '" + s + "'");
    }
    if (n < min || n > max) {
      throw error(v.line, key, "must be " + min + "-" + max + ", was " + n);
    }
    return (int) n;
  }

  private Duration seconds(Node v, String key) throws ForwardConfigException {
    return Duration.ofSeconds(integer(v, key, 0, 31_536_000));
  }

  private boolean bool(Node v, String key) throws ForwardConfigException {
    String s = string(v, key, v.line).trim().toLowerCase(Locale.ROOT);
    switch (s) {
      case "true":
      case "yes":
      case "on":
        return true;
      case "false":
      case "no":
      case "off":
        return false;
      default:
        throw error(v.line, key, "must be true or false, was '" + s + "'");
    }
  }

  private String expand(String text, int line, String key) throws ForwardConfigException {
    if (text == null || text.indexOf("${") < 0) {
      return text;
    }
    Matcher m = ENV.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String value = env.apply(m.group(1));
      if (value == null) {
        throw error(line, key, "environment variable " + m.group(1) + " is not set");
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(value));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private String where(int line, String key) {
    return fileName + " line " + line + ": " + key;
  }

  private ForwardConfigException error(int line, String key, String message) {
    String k = key;
    for (String secret : SECRET_KEYS) {
      if (key.equalsIgnoreCase(secret) && message.contains("was '")) {
        message = message.substring(0, message.indexOf("was '")) + "(value not shown)";
      }
    }
    return new ForwardConfigException(where(line, k) + ": " + message);
  }
}
