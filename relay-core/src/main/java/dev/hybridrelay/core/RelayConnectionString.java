package dev.hybridrelay.core;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * A parsed, validated Azure Relay connection string, the way every part of this project addresses a
 * relay.
 *
 * <pre>
 * Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=...;EntityPath=hyco
 * Endpoint=sb://localhost:9090/;SharedAccessKeyName=root;SharedAccessKey=...;UseDevelopmentEmulator=true
 * </pre>
 *
 * <p>Keys are matched case-insensitively and accept exactly what the official SDKs accept:
 * {@code Endpoint}, {@code EntityPath}, {@code SharedAccessKeyName}, {@code SharedAccessKey},
 * {@code SharedAccessSignature}, {@code OperationTimeout} (whole seconds such as {@code 60}, or a
 * .NET time span such as {@code 00:01:00}), {@code Authentication} ({@code Managed Identity}) and
 * {@code UseDevelopmentEmulator} ({@code true}: talk plain {@code ws://} instead of {@code wss://},
 * the convention of the Azure emulators and of the local relay). Segments are split on {@code ;} and
 * each segment at its first {@code =}, so key values may end in {@code =} padding.
 *
 * <p>Errors are {@link IllegalArgumentException}s that name the offending key and say what to do;
 * they never contain a key or a signature. {@link #toString()} redacts secrets; use
 * {@link #toConnectionString()} to get the full text back.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class RelayConnectionString {
  /** The default operation timeout of the official SDKs: one minute. */
  public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofMinutes(1);

  private final URI endpoint;
  private final String entityPath;
  private final String sharedAccessKeyName;
  private final String sharedAccessKey;
  private final String sharedAccessSignature;
  private final Duration operationTimeout;
  private final String authentication;
  private final boolean useDevelopmentEmulator;

  private RelayConnectionString(Builder b) {
    this.endpoint = b.endpoint;
    this.entityPath = b.entityPath;
    this.sharedAccessKeyName = b.sharedAccessKeyName;
    this.sharedAccessKey = b.sharedAccessKey;
    this.sharedAccessSignature = b.sharedAccessSignature;
    this.operationTimeout = b.operationTimeout;
    this.authentication = b.authentication;
    this.useDevelopmentEmulator = b.useDevelopmentEmulator;
  }

  /**
   * Parses and validates a connection string.
   *
   * @throws IllegalArgumentException naming the bad key if the string is malformed, has an unknown
   *     key, or combines keys that cannot go together
   */
  public static RelayConnectionString parse(String connectionString) {
    Objects.requireNonNull(connectionString, "connectionString");
    if (connectionString.isBlank()) {
      throw new IllegalArgumentException(
          "The connection string is empty. Expected Endpoint=sb://host/;SharedAccessKeyName=...;SharedAccessKey=...");
    }
    Builder b = new Builder();
    String[] segments = connectionString.split(";");
    for (int i = 0; i < segments.length; i++) {
      String segment = segments[i];
      if (segment.isBlank()) {
        continue;
      }
      int eq = segment.indexOf('=');
      if (eq <= 0) {
        // The segment is not quoted: a segment without '=' may be (part of) a key or signature.
        String shown = eq == 0 ? "starts with '='" : "has no '='";
        throw new IllegalArgumentException("The connection string's segment " + (i + 1) + " of "
            + segments.length + " (" + segment.length() + " characters) " + shown
            + ", so its key or value is missing; every segment must be Key=Value, separated by ';'.");
      }
      String key = segment.substring(0, eq).trim();
      String value = segment.substring(eq + 1);
      switch (key.toLowerCase(Locale.ROOT)) {
        case "endpoint":
          b.endpoint(parseEndpoint(value));
          break;
        case "entitypath":
          b.entityPath(value);
          break;
        case "sharedaccesskeyname":
          b.sharedAccessKeyName = requireValue(key, value);
          break;
        case "sharedaccesskey":
          b.sharedAccessKey = requireValue(key, value);
          break;
        case "sharedaccesssignature":
          b.sharedAccessSignature = requireValue(key, value);
          break;
        case "operationtimeout":
          b.operationTimeout(parseTimeout(value));
          break;
        case "authentication":
          b.authentication = requireValue(key, value);
          break;
        case "usedevelopmentemulator":
          if (!value.trim().equalsIgnoreCase("true") && !value.trim().equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("The connection string key UseDevelopmentEmulator must be "
                + "'true' or 'false', but was '" + abbreviate(value) + "'.");
          }
          b.useDevelopmentEmulator = Boolean.parseBoolean(value.trim());
          break;
        default:
          // Quote the key only when it looks like a key name: a misplaced ';' can turn part of a
          // key or signature into a "key", which must not reach a log.
          String shownKey = key.matches("[A-Za-z][A-Za-z ]{0,31}") ? "'" + key + "'"
              : "of " + key.length() + " characters (not shown: it does not look like a key name)";
          throw new IllegalArgumentException("The connection string contains unknown parameter "
              + shownKey + ". Known keys: Endpoint, EntityPath, SharedAccessKeyName, SharedAccessKey, "
              + "SharedAccessSignature, OperationTimeout, Authentication, UseDevelopmentEmulator.");
      }
    }
    return b.build();
  }

  /** Returns a builder with no values set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding this connection string's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.endpoint = endpoint;
    b.entityPath = entityPath;
    b.sharedAccessKeyName = sharedAccessKeyName;
    b.sharedAccessKey = sharedAccessKey;
    b.sharedAccessSignature = sharedAccessSignature;
    b.operationTimeout = operationTimeout;
    b.authentication = authentication;
    b.useDevelopmentEmulator = useDevelopmentEmulator;
    return b;
  }

  /** Returns a copy of this connection string addressing another hybrid connection. */
  public RelayConnectionString withEntityPath(String entityPath) {
    return toBuilder().entityPath(entityPath).build();
  }

  /** The namespace endpoint, always of the form {@code sb://host[:port]/}. */
  public URI endpoint() {
    return endpoint;
  }

  /** The hybrid connection name, or {@code null} when the string names none. */
  public String entityPath() {
    return entityPath;
  }

  /** The SAS rule name, or {@code null}. */
  public String sharedAccessKeyName() {
    return sharedAccessKeyName;
  }

  /** The SAS key text (used as-is as the HMAC key, not Base64-decoded), or {@code null}. */
  public String sharedAccessKey() {
    return sharedAccessKey;
  }

  /** A complete pre-issued SAS token, or {@code null}. */
  public String sharedAccessSignature() {
    return sharedAccessSignature;
  }

  /** The operation timeout; {@link #DEFAULT_OPERATION_TIMEOUT} unless the string set one. */
  public Duration operationTimeout() {
    return operationTimeout;
  }

  /** The {@code Authentication} value (such as {@code Managed Identity}), or {@code null}. */
  public String authentication() {
    return authentication;
  }

  /** Whether to use plain {@code ws://} (local relay, emulators) instead of {@code wss://}. */
  public boolean useDevelopmentEmulator() {
    return useDevelopmentEmulator;
  }

  /**
   * Returns the token provider these credentials describe: a {@link SharedAccessSignatureTokenProvider}
   * for a key, a {@link TokenProvider#sharedAccessSignature(String) fixed token} for a signature.
   *
   * @throws IllegalStateException if the string carries no SAS credentials (for example with
   *     {@code Authentication=Managed Identity}; pass your own {@link TokenProvider} then)
   */
  public TokenProvider tokenProvider() {
    if (sharedAccessKeyName != null) {
      return new SharedAccessSignatureTokenProvider(sharedAccessKeyName, sharedAccessKey);
    }
    if (sharedAccessSignature != null) {
      return TokenProvider.sharedAccessSignature(sharedAccessSignature);
    }
    throw new IllegalStateException("The connection string for " + endpoint
        + " has no SharedAccessKeyName/SharedAccessKey or SharedAccessSignature; supply a TokenProvider.");
  }

  /** Whether this string carries SAS credentials (a key or a signature). */
  public boolean hasCredentials() {
    return sharedAccessKeyName != null || sharedAccessSignature != null;
  }

  /** The full connection string, secrets included, in the order the .NET SDK writes it. */
  public String toConnectionString() {
    return format(false);
  }

  /** The connection string with the key and signature replaced by {@code ***}. Safe to log. */
  @Override
  public String toString() {
    return format(true);
  }

  private String format(boolean redact) {
    StringBuilder sb = new StringBuilder();
    sb.append("Endpoint=").append(endpoint);
    if (entityPath != null) {
      sb.append(";EntityPath=").append(entityPath);
    }
    if (sharedAccessKeyName != null) {
      sb.append(";SharedAccessKeyName=").append(sharedAccessKeyName);
      sb.append(";SharedAccessKey=").append(redact ? "***" : sharedAccessKey);
    }
    if (sharedAccessSignature != null) {
      sb.append(";SharedAccessSignature=").append(redact ? "***" : sharedAccessSignature);
    }
    if (!operationTimeout.equals(DEFAULT_OPERATION_TIMEOUT)) {
      sb.append(";OperationTimeout=").append(formatTimeout(operationTimeout));
    }
    if (authentication != null) {
      sb.append(";Authentication=").append(authentication);
    }
    if (useDevelopmentEmulator) {
      sb.append(";UseDevelopmentEmulator=true");
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RelayConnectionString && ((RelayConnectionString) o).toConnectionString().equals(toConnectionString());
  }

  @Override
  public int hashCode() {
    return toConnectionString().hashCode();
  }

  private static String requireValue(String key, String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("The connection string key " + key + " has an empty value.");
    }
    return value;
  }

  private static URI parseEndpoint(String value) {
    URI uri;
    try {
      uri = new URI(value.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("The connection string key Endpoint must be an absolute URI such as "
          + "sb://contoso.servicebus.windows.net/, but '" + abbreviate(value) + "' is not a valid URI.");
    }
    if (!uri.isAbsolute() || uri.getHost() == null) {
      throw new IllegalArgumentException("The connection string key Endpoint must be an absolute URI with a host, "
          + "such as sb://contoso.servicebus.windows.net/, but was '" + abbreviate(value) + "'.");
    }
    return uri;
  }

  private static Duration parseTimeout(String value) {
    String v = value.trim();
    try {
      Duration d;
      if (v.contains(":")) {
        String days = "0";
        String rest = v;
        int dot = v.indexOf('.');
        if (dot >= 0 && dot < v.indexOf(':')) {
          days = v.substring(0, dot);
          rest = v.substring(dot + 1);
        }
        String[] p = rest.split(":");
        if (p.length != 3) {
          throw new NumberFormatException();
        }
        double seconds = Double.parseDouble(p[2]);
        d = Duration.ofDays(Long.parseLong(days)).plusHours(Long.parseLong(p[0]))
            .plusMinutes(Long.parseLong(p[1])).plusMillis(Math.round(seconds * 1000));
      } else {
        d = Duration.ofSeconds(Long.parseLong(v));
      }
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("The connection string key OperationTimeout must be greater than zero, "
            + "but was '" + abbreviate(value) + "'.");
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("The connection string key OperationTimeout must be whole seconds (60) or "
          + "a time span (00:01:00), but was '" + abbreviate(value) + "'.");
    }
  }

  private static String formatTimeout(Duration d) {
    long s = d.getSeconds();
    return String.format(Locale.ROOT, "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }

  private static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 61) + "...";
  }

  /** Builds a {@link RelayConnectionString}; {@link #build()} applies the same checks as {@link #parse}. */
  public static final class Builder {
    private URI endpoint;
    private String entityPath;
    private String sharedAccessKeyName;
    private String sharedAccessKey;
    private String sharedAccessSignature;
    private Duration operationTimeout = DEFAULT_OPERATION_TIMEOUT;
    private String authentication;
    private boolean useDevelopmentEmulator;

    private Builder() {}

    /** The namespace endpoint, for example {@code sb://contoso.servicebus.windows.net/}. */
    public Builder endpoint(URI endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    /** The namespace endpoint as text. */
    public Builder endpoint(String endpoint) {
      return endpoint(parseEndpoint(endpoint));
    }

    /** The hybrid connection name; {@code null} for none. */
    public Builder entityPath(String entityPath) {
      if (entityPath != null) {
        String p = entityPath.trim();
        while (p.startsWith("/")) {
          p = p.substring(1);
        }
        while (p.endsWith("/")) {
          p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty() || !p.matches("[0-9A-Za-z/_\\-.]+")) {
          throw new IllegalArgumentException("The connection string key EntityPath must be a hybrid connection "
              + "name (letters, digits, '.', '-', '_', '/'), but was '" + abbreviate(entityPath) + "'.");
        }
        entityPath = p;
      }
      this.entityPath = entityPath;
      return this;
    }

    /** A SAS rule name and its key. */
    public Builder sharedAccessKey(String keyName, String key) {
      this.sharedAccessKeyName = keyName;
      this.sharedAccessKey = key;
      return this;
    }

    /** A complete pre-issued SAS token. */
    public Builder sharedAccessSignature(String token) {
      this.sharedAccessSignature = token;
      return this;
    }

    /** The operation timeout (must be positive). */
    public Builder operationTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("OperationTimeout must be greater than zero, but was " + timeout);
      }
      this.operationTimeout = timeout;
      return this;
    }

    /** Whether to talk plain {@code ws://}. */
    public Builder useDevelopmentEmulator(boolean value) {
      this.useDevelopmentEmulator = value;
      return this;
    }

    /** The {@code Authentication} value, such as {@code Managed Identity}. */
    public Builder authentication(String value) {
      this.authentication = value;
      return this;
    }

    /** Validates and builds. */
    public RelayConnectionString build() {
      if (endpoint == null) {
        throw new IllegalArgumentException("The connection string has no Endpoint. Add Endpoint=sb://host/.");
      }
      String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("sb") && !scheme.equals("ws") && !scheme.equals("wss") && !scheme.equals("https")
          && !scheme.equals("http")) {
        throw new IllegalArgumentException("The connection string key Endpoint must use the sb:// scheme, but was '"
            + abbreviate(endpoint.toString()) + "'.");
      }
      if ((sharedAccessKeyName == null) != (sharedAccessKey == null)) {
        throw new IllegalArgumentException(sharedAccessKeyName == null
            ? "The connection string has SharedAccessKey but no SharedAccessKeyName; add the rule name."
            : "The connection string has SharedAccessKeyName but no SharedAccessKey; add the key.");
      }
      if (sharedAccessKeyName != null && sharedAccessKeyName.length() > 256) {
        throw new IllegalArgumentException("The connection string key SharedAccessKeyName is longer than 256 characters.");
      }
      if (sharedAccessKey != null && sharedAccessKey.length() > 256) {
        throw new IllegalArgumentException("The connection string key SharedAccessKey is longer than 256 characters.");
      }
      if (sharedAccessSignature != null && sharedAccessKeyName != null) {
        throw new IllegalArgumentException("The connection string has both SharedAccessSignature and "
            + "SharedAccessKeyName/SharedAccessKey; keep one of them.");
      }
      if (authentication != null) {
        if (!authentication.replace(" ", "").equalsIgnoreCase("ManagedIdentity")) {
          throw new IllegalArgumentException("The connection string key Authentication supports only "
              + "'Managed Identity', but was '" + abbreviate(authentication) + "'.");
        }
        if (sharedAccessKeyName != null || sharedAccessSignature != null) {
          throw new IllegalArgumentException("The connection string has Authentication=Managed Identity together "
              + "with SAS credentials; keep one of them.");
        }
      }
      String host = endpoint.getHost();
      int port = endpoint.getPort();
      this.endpoint = URI.create("sb://" + host + (port > 0 ? ":" + port : "") + "/");
      return new RelayConnectionString(this);
    }
  }
}
