package dev.hybridrelay.socket;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Maps the {@code host:port} a stock client asks for to the hybrid connection a {@link RelaySocket}
 * connects to. Clients such as JDBC drivers and HTTP clients only know host names and ports; a
 * {@link RelaySocketFactory} or a {@link RelaySocket} created with a connection string translates
 * them with a mapping.
 *
 * <table>
 *   <caption>Built-in mappings</caption>
 *   <tr><th>Mapping</th><th>{@code db.internal:5432} goes to</th></tr>
 *   <tr><td>{@link #entityPath()} (the default)</td><td>the connection string's {@code EntityPath},
 *       whatever host and port were asked for</td></tr>
 *   <tr><td>{@link #hostName()}</td><td>{@code db.internal}</td></tr>
 *   <tr><td>{@link #template(String) template("{label}-{port}")}</td><td>{@code db-5432}</td></tr>
 *   <tr><td>{@link #map(Map) map(Map.of("db.internal:5432", "orders-db"))}</td><td>{@code orders-db};
 *       keys are {@code host:port} or {@code host}; unmapped hosts use the {@code EntityPath}</td></tr>
 * </table>
 *
 * <p>A mapping returns {@code null} to mean "the connection string's {@code EntityPath}"; if the
 * connection string has none, the connect fails with a {@link java.net.ConnectException} naming the
 * host and port. Host names are passed as the client gave them (not resolved, not lower-cased).
 * Implementations must be thread-safe and fast: they run on the connecting thread.
 */
@FunctionalInterface
public interface RelayHostMapping {

  /**
   * Returns the hybrid connection for {@code host:port}, or {@code null} for the connection string's
   * {@code EntityPath}.
   *
   * @param host the host name or address text the client asked for (never {@code null}, may be empty)
   * @param port the port the client asked for
   */
  String entityPathFor(String host, int port);

  /** Every host and port goes to the connection string's {@code EntityPath}. The default. */
  static RelayHostMapping entityPath() {
    return (host, port) -> null;
  }

  /** The hybrid connection is named like the requested host, e.g. {@code orders-db:5432} → {@code orders-db}. */
  static RelayHostMapping hostName() {
    return (host, port) -> host.isEmpty() ? null : host;
  }

  /**
   * The hybrid connection name is {@code template} with {@code {host}} (the host as requested),
   * {@code {label}} (its first DNS label, lower case) and {@code {port}} replaced; for example
   * {@code "{label}-{port}"} maps {@code db.internal:5432} to {@code db-5432}.
   *
   * @throws IllegalArgumentException if the template has no placeholder
   */
  static RelayHostMapping template(String template) {
    Objects.requireNonNull(template, "template");
    if (!template.contains("{host}") && !template.contains("{label}") && !template.contains("{port}")) {
      throw new IllegalArgumentException("The host mapping template '" + template
          + "' has no placeholder; use {host}, {label} or {port}, e.g. {label}-{port}");
    }
    return (host, port) -> {
      int dot = host.indexOf('.');
      String label = (dot > 0 ? host.substring(0, dot) : host).toLowerCase(Locale.ROOT);
      return template.replace("{host}", host).replace("{label}", label).replace("{port}", Integer.toString(port));
    };
  }

  /**
   * Looks the hybrid connection up by {@code host:port}, then by {@code host} (host names compared
   * case-insensitively); unmapped hosts use the connection string's {@code EntityPath}.
   */
  static RelayHostMapping map(Map<String, String> entityPathsByHost) {
    Map<String, String> copy = new java.util.HashMap<>();
    entityPathsByHost.forEach((k, v) -> copy.put(k.toLowerCase(Locale.ROOT), Objects.requireNonNull(v, k)));
    return (host, port) -> {
      String h = host.toLowerCase(Locale.ROOT);
      String e = copy.get(h + ":" + port);
      return e != null ? e : copy.get(h);
    };
  }
}
