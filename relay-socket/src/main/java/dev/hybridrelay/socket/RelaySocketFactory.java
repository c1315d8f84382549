package dev.hybridrelay.socket;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelaySender;
import dev.hybridrelay.core.TokenProvider;
import dev.hybridrelay.socket.internal.RelayFactoryArgument;
import dev.hybridrelay.socket.internal.RelaySocketConnector;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.SocketFactory;

/**
 * A {@link SocketFactory} whose sockets connect through an Azure Relay hybrid connection, for stock
 * clients that accept a socket factory (JDBC drivers, HTTP clients, messaging clients).
 *
 * <pre>{@code
 * SocketFactory f = RelaySocketFactory.forConnectionString(connectionString);
 * OkHttpClient client = new OkHttpClient.Builder().socketFactory(f).dns(host -> List.of(dummy)).build();
 * }</pre>
 *
 * <h2>Which hybrid connection</h2>
 * Clients ask for {@code host:port}. By default every socket goes to the connection string's
 * {@code EntityPath}, whatever host and port were asked for; a {@link RelayHostMapping} (see
 * {@link Builder#hostMapping}) can map hosts to other hybrid connections of the same namespace.
 * Nothing is resolved: the host text is passed to the mapping as the client gave it. The local address
 * and port of the four-argument {@code createSocket} methods are ignored.
 *
 * <h2>Frameworks that take a class name and one string</h2>
 * {@link #RelaySocketFactory(String)} takes the connection string, optionally with one extra key,
 * {@code HostMapping}, whose value is {@code EntityPath} (the default), {@code HostName} or a template
 * such as <code>{label}-{port}</code> (see {@link RelayHostMapping#template}). The PostgreSQL JDBC
 * driver, for example, instantiates {@code socketFactory} through this constructor with
 * {@code socketFactoryArg}:
 * <pre>
 * jdbc:postgresql://db/postgres?socketFactory=dev.hybridrelay.socket.RelaySocketFactory&amp;socketFactoryArg=&lt;URL-encoded connection string&gt;
 * </pre>
 * {@link #RelaySocketFactory()} reads the same text from the system property
 * {@code hybridrelay.connectionString} or the environment variable {@code HYBRIDRELAY_CONNECTION_STRING}.
 *
 * <h2>Threads and resources</h2>
 * A factory is immutable and thread-safe. It keeps one {@link RelaySender} per hybrid connection, so
 * tokens are reused across sockets; it holds no threads or connections and needs no closing.
 */
public class RelaySocketFactory extends SocketFactory {
  private final RelayConnectionString connectionString;
  private final RelayHostMapping mapping;
  private final RelaySocketConnector connector;

  /**
   * A factory configured from the system property {@code hybridrelay.connectionString} or the
   * environment variable {@code HYBRIDRELAY_CONNECTION_STRING} (same format as
   * {@link #RelaySocketFactory(String)}).
   *
   * @throws IllegalArgumentException if neither is set or the text is malformed
   */
  public RelaySocketFactory() {
    this((String) null);
  }

  /**
   * A factory for a connection string, optionally with a {@code HostMapping} key (see the class
   * documentation). For frameworks that instantiate a factory from a class name and one string.
   *
   * @throws IllegalArgumentException if the text is malformed; a blank text falls back to the system
   *     property and the environment variable
   */
  public RelaySocketFactory(String connectionString) {
    this(from(RelayFactoryArgument.parse(connectionString, "RelaySocketFactory")));
  }

  private static Builder from(RelayFactoryArgument arg) {
    return builder(arg.connectionString()).hostMapping(arg.mapping());
  }

  private RelaySocketFactory(Builder b) {
    this.connectionString = b.connectionString;
    this.mapping = b.mapping;
    TokenProvider tp = b.tokenProvider != null ? b.tokenProvider
        : connectionString.hasCredentials() ? connectionString.tokenProvider() : null;
    this.connector = RelaySocketConnector.senders(tp, b.senderOptions);
  }

  /** A factory whose sockets all go to the connection string's {@code EntityPath}. */
  public static RelaySocketFactory forConnectionString(String connectionString) {
    return forConnectionString(RelayConnectionString.parse(Objects.requireNonNull(connectionString, "connectionString")));
  }

  /** A factory whose sockets all go to the connection string's {@code EntityPath}. */
  public static RelaySocketFactory forConnectionString(RelayConnectionString connectionString) {
    return builder(connectionString).build();
  }

  /** A builder for a factory using {@code connectionString}'s namespace and credentials. */
  public static Builder builder(RelayConnectionString connectionString) {
    return new Builder(connectionString);
  }

  /** The connection string (its {@code toString()} is redacted). */
  public RelayConnectionString connectionString() {
    return connectionString;
  }

  /** An unconnected {@link RelaySocket}; its {@code connect(InetSocketAddress, timeout)} maps the address. */
  @Override
  public Socket createSocket() throws IOException {
    return new RelaySocket(connectionString, mapping, connector);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected(InetSocketAddress.createUnresolved(Objects.requireNonNull(host, "host"), port));
  }

  /** As {@link #createSocket(String, int)}; the local address and port are ignored. */
  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
    return createSocket(host, port);
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected(new InetSocketAddress(Objects.requireNonNull(host, "host"), port));
  }

  /** As {@link #createSocket(InetAddress, int)}; the local address and port are ignored. */
  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return createSocket(address, port);
  }

  private Socket connected(InetSocketAddress address) throws IOException {
    Socket s = createSocket();
    try {
      s.connect(address);
      return s;
    } catch (IOException | RuntimeException e) {
      try {
        s.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  @Override
  public String toString() {
    return "RelaySocketFactory{" + connectionString.endpoint()
        + (connectionString.entityPath() != null ? connectionString.entityPath() : "") + "}";
  }

  /** Configures a {@link RelaySocketFactory}. Not thread-safe. */
  public static final class Builder {
    private final RelayConnectionString connectionString;
    private RelayHostMapping mapping = RelayHostMapping.entityPath();
    private TokenProvider tokenProvider;
    private Consumer<RelaySender.Builder> senderOptions;

    private Builder(RelayConnectionString connectionString) {
      this.connectionString = Objects.requireNonNull(connectionString, "connectionString");
    }

    /** How {@code host:port} maps to a hybrid connection. Default: {@link RelayHostMapping#entityPath()}. */
    public Builder hostMapping(RelayHostMapping mapping) {
      this.mapping = Objects.requireNonNull(mapping, "mapping");
      return this;
    }

    /** Where tokens come from; default: the connection string's credentials (none: anonymous). */
    public Builder tokenProvider(TokenProvider tokenProvider) {
      this.tokenProvider = tokenProvider;
      return this;
    }

    /**
     * Adjusts every {@link RelaySender} the factory creates (connect timeout, windows, TLS, headers).
     * Called once per hybrid connection.
     */
    public Builder senderOptions(Consumer<RelaySender.Builder> senderOptions) {
      this.senderOptions = senderOptions;
      return this;
    }

    public RelaySocketFactory build() {
      return new RelaySocketFactory(this);
    }
  }
}
