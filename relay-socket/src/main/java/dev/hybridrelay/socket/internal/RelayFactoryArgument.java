package dev.hybridrelay.socket.internal;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.socket.RelayHostMapping;
import java.util.Locale;

/**
 * The single string argument of the socket factories' one-argument constructors: a connection
 * string, optionally with the extra key {@code HostMapping} ({@code EntityPath}, {@code HostName}, or a
 * template such as <code>{label}-{port}</code>), which is removed before the connection string is
 * parsed.
 */
public final class RelayFactoryArgument {
  public static final String SYSTEM_PROPERTY = "hybridrelay.connectionString";
  public static final String ENVIRONMENT_VARIABLE = "HYBRIDRELAY_CONNECTION_STRING";

  private final RelayConnectionString connectionString;
  private final RelayHostMapping mapping;

  private RelayFactoryArgument(RelayConnectionString connectionString, RelayHostMapping mapping) {
    this.connectionString = connectionString;
    this.mapping = mapping;
  }

  public RelayConnectionString connectionString() {
    return connectionString;
  }

  public RelayHostMapping mapping() {
    return mapping;
  }

  /** Parses {@code arg}; {@code null} or blank falls back to the system property, then the environment. */
  public static RelayFactoryArgument parse(String arg, String factoryName) {
    String text = arg;
    if (text == null || text.isBlank()) {
      text = System.getProperty(SYSTEM_PROPERTY);
    }
    if (text == null || text.isBlank()) {
      text = System.getenv(ENVIRONMENT_VARIABLE);
    }
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(factoryName + " needs a connection string: pass it as the constructor "
          + "argument (for JDBC drivers: socketFactoryArg), or set the system property " + SYSTEM_PROPERTY
          + " or the environment variable " + ENVIRONMENT_VARIABLE);
    }
    StringBuilder rest = new StringBuilder();
    RelayHostMapping mapping = RelayHostMapping.entityPath();
    for (String segment : text.split(";")) {
      int eq = segment.indexOf('=');
      if (eq > 0 && segment.substring(0, eq).trim().equalsIgnoreCase("HostMapping")) {
        mapping = parseMapping(segment.substring(eq + 1).trim());
      } else if (!segment.isBlank()) {
        rest.append(segment).append(';');
      }
    }
    return new RelayFactoryArgument(RelayConnectionString.parse(rest.toString()), mapping);
  }

  static RelayHostMapping parseMapping(String value) {
    String v = value.toLowerCase(Locale.ROOT);
    if (v.equals("entitypath")) {
      return RelayHostMapping.entityPath();
    }
    if (v.equals("hostname")) {
      return RelayHostMapping.hostName();
    }
    if (value.contains("{")) {
      return RelayHostMapping.template(value);
    }
    throw new IllegalArgumentException("HostMapping must be EntityPath, HostName or a template such as "
        + "{label}-{port}, but was '" + value + "'");
  }
}
