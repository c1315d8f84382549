package dev.hybridrelay.cli;

import dev.hybridrelay.cli.YamlTree.ListNode;
import dev.hybridrelay.cli.YamlTree.MapNode;
import dev.hybridrelay.cli.YamlTree.Node;
import dev.hybridrelay.cli.YamlTree.Scalar;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading values out of a {@link YamlTree} for {@link ForwardConfigFile}: typed values with
 * {@code ${NAME}} expansion, key matching (case and underscores do not matter, plus aliases), and
 * errors that name the file, the line and the key path without showing secret values.
 */
abstract class ConfigReader {
  private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

  final String fileName;
  /** For {@code -o}: messages say {@code -o Key: ...} instead of {@code file line n: Key: ...}. */
  final boolean option;
  private final Function<String, String> env;
  private final List<String> secretKeys;

  ConfigReader(String fileName, boolean option, Function<String, String> env, List<String> secretKeys) {
    this.fileName = fileName;
    this.option = option;
    this.env = env;
    this.secretKeys = secretKeys;
  }

  // --- value helpers ---

  interface Check {
    void check(String value) throws ForwardConfigException;
  }

  /** Runs a spec check and re-words its message with file, line and key. */
  void check(MapNode m, String key, String path, Map<String, String> aliases, Check c)
      throws ForwardConfigException {
    String actual = actualKey(m, key, aliases);
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

  void checkKeys(MapNode m, String prefix, List<String> known, Map<String, String> aliases)
      throws ForwardConfigException {
    for (String k : m.values.keySet()) {
      if (canonical(k, known, aliases) == null) {
        throw error(m.keyLines.get(k), prefix + k, "unknown key; known keys here: " + String.join(", ", known));
      }
    }
  }

  static String normalize(String key) {
    return key.replace("_", "").toLowerCase(Locale.ROOT);
  }

  /** The canonical key for {@code key}: case and underscores do not matter; then azbridge's old aliases. */
  static String canonical(String key, List<String> known, Map<String, String> aliases) {
    String n = normalize(key);
    for (String k : known) {
      if (normalize(k).equals(n)) {
        return k;
      }
    }
    String alias = aliases.get(n);
    return alias != null && known.contains(alias) ? alias : null;
  }

  static String actualKey(MapNode m, String key, Map<String, String> aliases) {
    for (String k : m.values.keySet()) {
      String n = normalize(k);
      if (n.equals(normalize(key)) || key.equals(aliases.get(n))) {
        return k;
      }
    }
    return null;
  }

  static Node value(MapNode m, String key, Map<String, String> aliases) {
    String actual = actualKey(m, key, aliases);
    return actual == null ? null : m.values.get(actual);
  }

  List<MapNode> entries(Node v, String key) throws ForwardConfigException {
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

  String optionalString(MapNode m, String key, String path, Map<String, String> aliases)
      throws ForwardConfigException {
    String actual = actualKey(m, key, aliases);
    if (actual == null) {
      return null;
    }
    Node v = m.values.get(actual);
    if (v instanceof Scalar && ((Scalar) v).isNull) {
      return null;
    }
    return string(v, path + "." + key, m.keyLines.get(actual));
  }

  Integer optionalInt(MapNode m, String key, String path, Map<String, String> aliases, int min, int max)
      throws ForwardConfigException {
    String actual = actualKey(m, key, aliases);
    if (actual == null) {
      return null;
    }
    Node v = m.values.get(actual);
    if (v instanceof Scalar && ((Scalar) v).isNull) {
      return null;
    }
    return integer(v, path + "." + key, min, max);
  }

  boolean optionalBool(MapNode m, String key, String path, Map<String, String> aliases)
      throws ForwardConfigException {
    String actual = actualKey(m, key, aliases);
    if (actual == null) {
      return false;
    }
    Node v = m.values.get(actual);
    return !(v instanceof Scalar && ((Scalar) v).isNull) && bool(v, path + "." + key);
  }

  String string(Node v, String key, int line) throws ForwardConfigException {
    if (!(v instanceof Scalar) || ((Scalar) v).isNull) {
      throw error(v.line, key, "expected a single value");
    }
    return expand(((Scalar) v).text, line, key);
  }

  int integer(Node v, String key, int min, int max) throws ForwardConfigException {
    String s = string(v, key, v.line).trim();
    long n;
    try {
      n = Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw error(v.line, key, "must be a whole number " + Math.max(min, 1) + "-" + max + ", was '" + s + "'");
    }
    if (n < min || n > max) {
      // ports: min is -max, azbridge's negative ports being UDP; the message gives the TCP range
      throw error(v.line, key, "must be " + (min < 0 ? 1 : min) + "-" + max + ", was " + n);
    }
    return (int) n;
  }

  Duration seconds(Node v, String key) throws ForwardConfigException {
    return Duration.ofSeconds(integer(v, key, 0, 31_536_000));
  }

  boolean bool(Node v, String key) throws ForwardConfigException {
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

  String expand(String text, int line, String key) throws ForwardConfigException {
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

  String where(int line, String key) {
    return option ? fileName + " " + key : fileName + " line " + line + ": " + key;
  }

  ForwardConfigException error(int line, String key, String message) {
    for (String secret : secretKeys) {
      if (key.equalsIgnoreCase(secret) || key.endsWith("." + secret)) {
        message = withoutValues(message);
      }
    }
    return new ForwardConfigException(where(line, key) + ": " + message);
  }

  /**
   * A message about a secret value with every quoted fragment of it removed: the connection string
   * parser quotes the segment it rejects, and that segment may be a key. Quoted parameter names
   * ({@code unknown parameter 'Nonsense'}) stay.
   */
  static String withoutValues(String message) {
    return message.replaceAll("(?<!parameter )'[^']*'", "(value not shown)");
  }

}
