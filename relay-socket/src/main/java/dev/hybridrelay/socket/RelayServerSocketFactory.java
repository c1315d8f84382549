package dev.hybridrelay.socket;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.TokenProvider;
import dev.hybridrelay.socket.internal.RelayFactoryArgument;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ServerSocketFactory;

/**
 * A {@link ServerSocketFactory} whose server sockets are {@link RelayServerSocket}s, for servers that
 * accept a server socket factory.
 *
 * <h2>Which hybrid connection</h2>
 * Servers ask for a port (and maybe an interface address). By default every server socket listens on
 * the connection string's {@code EntityPath}, whatever port was asked for; a {@link RelayHostMapping}
 * sees the interface address text (empty if none was given) and the port, so for example
 * {@code RelayHostMapping.template("app-{port}")} listens on {@code app-8080} for port 8080.
 * {@link #createServerSocket()} returns an unbound socket whose {@code bind(InetSocketAddress)} is
 * mapped the same way.
 *
 * <p>Each server socket is a listener registration of its own and returns once online; see
 * {@link RelayServerSocket} for failures. {@link #RelayServerSocketFactory(String)} and
 * {@link #RelayServerSocketFactory()} take the same text as {@link RelaySocketFactory}'s.
 * A factory is immutable and thread-safe.
 */
public class RelayServerSocketFactory extends ServerSocketFactory {
  private final RelayConnectionString connectionString;
  private final RelayHostMapping mapping;
  private final TokenProvider tokenProvider;
  private final Consumer<RelayListener.Builder> listenerOptions;

  /**
   * A factory configured from the system property {@code hybridrelay.connectionString} or the
   * environment variable {@code HYBRIDRELAY_CONNECTION_STRING}.
   */
  public RelayServerSocketFactory() {
    this((String) null);
  }

  /** A factory for a connection string, optionally with a {@code HostMapping} key. */
  public RelayServerSocketFactory(String connectionString) {
    this(from(RelayFactoryArgument.parse(connectionString, "RelayServerSocketFactory")));
  }

  private static Builder from(RelayFactoryArgument arg) {
    return builder(arg.connectionString()).hostMapping(arg.mapping());
  }

  private RelayServerSocketFactory(Builder b) {
    this.connectionString = b.connectionString;
    this.mapping = b.mapping;
    this.tokenProvider = b.tokenProvider;
    this.listenerOptions = b.listenerOptions;
  }

  /** A factory whose server sockets all listen on the connection string's {@code EntityPath}. */
  public static RelayServerSocketFactory forConnectionString(String connectionString) {
    return forConnectionString(RelayConnectionString.parse(Objects.requireNonNull(connectionString, "connectionString")));
  }

  /** A factory whose server sockets all listen on the connection string's {@code EntityPath}. */
  public static RelayServerSocketFactory forConnectionString(RelayConnectionString connectionString) {
    return builder(connectionString).build();
  }

  /** A builder for a factory using {@code connectionString}'s namespace and credentials. */
  public static Builder builder(RelayConnectionString connectionString) {
    return new Builder(connectionString);
  }

  /** An unbound {@link RelayServerSocket}; {@code bind(InetSocketAddress)} is mapped to a hybrid connection. */
  @Override
  public ServerSocket createServerSocket() throws IOException {
    return new RelayServerSocket(connectionString, mapping, tokenProvider, listenerOptions);
  }

  @Override
  public ServerSocket createServerSocket(int port) throws IOException {
    return createServerSocket(port, 0, null);
  }

  @Override
  public ServerSocket createServerSocket(int port, int backlog) throws IOException {
    return createServerSocket(port, backlog, null);
  }

  @Override
  public ServerSocket createServerSocket(int port, int backlog, InetAddress ifAddress) throws IOException {
    ServerSocket s = createServerSocket();
    try {
      s.bind(ifAddress == null ? InetSocketAddress.createUnresolved("", port) : new InetSocketAddress(ifAddress, port),
          backlog);
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
    return "RelayServerSocketFactory{" + connectionString.endpoint()
        + (connectionString.entityPath() != null ? connectionString.entityPath() : "") + "}";
  }

  /** Configures a {@link RelayServerSocketFactory}. Not thread-safe. */
  public static final class Builder {
    private final RelayConnectionString connectionString;
    private RelayHostMapping mapping = RelayHostMapping.entityPath();
    private TokenProvider tokenProvider;
    private Consumer<RelayListener.Builder> listenerOptions;

    private Builder(RelayConnectionString connectionString) {
      this.connectionString = Objects.requireNonNull(connectionString, "connectionString");
    }

    /** How the requested interface and port map to a hybrid connection. Default: the {@code EntityPath}. */
    public Builder hostMapping(RelayHostMapping mapping) {
      this.mapping = Objects.requireNonNull(mapping, "mapping");
      return this;
    }

    /** Where tokens come from; default: the connection string's credentials. */
    public Builder tokenProvider(TokenProvider tokenProvider) {
      this.tokenProvider = tokenProvider;
      return this;
    }

    /** Adjusts every {@link RelayListener} before it opens (must not set a connection handler). */
    public Builder listenerOptions(Consumer<RelayListener.Builder> listenerOptions) {
      this.listenerOptions = listenerOptions;
      return this;
    }

    public RelayServerSocketFactory build() {
      return new RelayServerSocketFactory(this);
    }
  }
}
