package dev.hybridrelay.socket;

import dev.hybridrelay.core.RelayConnectionString;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Objects;

/**
 * The address of a hybrid connection, the relay counterpart of an {@link java.net.InetSocketAddress}:
 * what a {@link RelaySocket} connects to and what a {@link RelayServerSocket} is bound to.
 *
 * <p>An address holds a {@link RelayConnectionString} that names a hybrid connection
 * ({@code EntityPath}). It may carry credentials ({@code SharedAccessKeyName}/{@code SharedAccessKey}
 * or {@code SharedAccessSignature}); an address made with {@link #of(URI, String)} carries none, and
 * the socket then uses the token provider it was created with (or connects anonymously, for hybrid
 * connections that do not require client authorization).
 *
 * <pre>{@code
 * Socket s = new RelaySocket();
 * s.setSoTimeout(30_000);
 * s.connect(RelaySocketAddress.of(connectionString), 10_000);
 * }</pre>
 *
 * <p>{@link #toString()} shows {@code sb://host[:port]/entity} and never a key or a signature.
 * {@link #equals} compares the full connection string, credentials included.
 *
 * <p>Instances are immutable and thread-safe. Although {@link SocketAddress} is
 * {@link java.io.Serializable}, a relay address is not meant to be serialized (it would carry
 * secrets); serializing one fails with {@link java.io.NotSerializableException}.
 */
public final class RelaySocketAddress extends SocketAddress {
  private static final long serialVersionUID = 1L;

  @SuppressWarnings("serial") // deliberately not serializable: it may carry secrets
  private final RelayConnectionString connectionString;

  private RelaySocketAddress(RelayConnectionString connectionString) {
    this.connectionString = connectionString;
  }

  /**
   * The hybrid connection named by the connection string's {@code EntityPath}.
   *
   * @throws IllegalArgumentException if the string is malformed or has no {@code EntityPath}
   */
  public static RelaySocketAddress of(String connectionString) {
    return of(RelayConnectionString.parse(Objects.requireNonNull(connectionString, "connectionString")));
  }

  /**
   * The hybrid connection named by the connection string's {@code EntityPath}.
   *
   * @throws IllegalArgumentException if the connection string has no {@code EntityPath}
   */
  public static RelaySocketAddress of(RelayConnectionString connectionString) {
    Objects.requireNonNull(connectionString, "connectionString");
    if (connectionString.entityPath() == null) {
      throw new IllegalArgumentException("The connection string for " + connectionString.endpoint()
          + " names no hybrid connection; add EntityPath=<name> or use RelaySocketAddress.of(connectionString, name)");
    }
    return new RelaySocketAddress(connectionString);
  }

  /** The hybrid connection {@code entityPath} in the namespace of {@code connectionString}, with its credentials. */
  public static RelaySocketAddress of(RelayConnectionString connectionString, String entityPath) {
    Objects.requireNonNull(connectionString, "connectionString");
    Objects.requireNonNull(entityPath, "entityPath");
    return new RelaySocketAddress(connectionString.withEntityPath(entityPath));
  }

  /**
   * The hybrid connection {@code entityPath} at {@code endpoint} ({@code sb://host[:port]/}), without
   * credentials. A {@code ws://} endpoint (or {@code http://}) selects plain, unencrypted WebSockets,
   * as {@code UseDevelopmentEmulator=true} does.
   */
  public static RelaySocketAddress of(URI endpoint, String entityPath) {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(entityPath, "entityPath");
    String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(java.util.Locale.ROOT);
    RelayConnectionString.Builder b = RelayConnectionString.builder().endpoint(endpoint).entityPath(entityPath);
    if (scheme.equals("ws") || scheme.equals("http")) {
      b.useDevelopmentEmulator(true);
    }
    return new RelaySocketAddress(b.build());
  }

  /** The connection string, with {@code EntityPath} set. Its {@code toString()} is redacted. */
  public RelayConnectionString connectionString() {
    return connectionString;
  }

  /** The namespace endpoint, {@code sb://host[:port]/}. */
  public URI endpoint() {
    return connectionString.endpoint();
  }

  /** The hybrid connection name. */
  public String entityPath() {
    return connectionString.entityPath();
  }

  /** Whether this address carries SAS credentials. */
  public boolean hasCredentials() {
    return connectionString.hasCredentials();
  }

  /** The hybrid connection's address, {@code sb://host[:port]/entity}. */
  public URI toUri() {
    return URI.create(connectionString.endpoint() + connectionString.entityPath());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RelaySocketAddress
        && ((RelaySocketAddress) o).connectionString.equals(connectionString);
  }

  @Override
  public int hashCode() {
    return connectionString.hashCode();
  }

  /** {@code sb://host[:port]/entity}; never contains secrets. */
  @Override
  public String toString() {
    return toUri().toString();
  }
}
