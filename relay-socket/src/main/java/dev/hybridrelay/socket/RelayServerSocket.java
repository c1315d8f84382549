package dev.hybridrelay.socket;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.TokenProvider;
import dev.hybridrelay.socket.internal.RelayServerSocketAcceptor;
import dev.hybridrelay.socket.internal.RelayServerSocketImpl;
import dev.hybridrelay.socket.internal.RelaySocketImpl;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.channels.ServerSocketChannel;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A {@link ServerSocket} that accepts connections from an Azure Relay hybrid connection: a drop-in for
 * code written against {@code java.net.ServerSocket}. Instead of binding a local port it registers as
 * a listener with the relay (an outbound WebSocket), so it works behind NAT and firewalls.
 *
 * <pre>{@code
 * try (ServerSocket server = new RelayServerSocket(connectionString)) {  // was: new ServerSocket(7000)
 *   while (true) {
 *     Socket s = server.accept();
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <h2>Binding</h2>
 * The constructors that take a connection string (or a {@link RelayListener.Builder}) register with
 * the relay and return once the listener is online, or throw: a
 * {@link dev.hybridrelay.core.RelayAuthorizationException} (401/403, a
 * {@link java.net.ConnectException}) when the credentials are refused,
 * {@link dev.hybridrelay.core.RelayConnectException} when the hybrid connection does not exist, a
 * {@link java.net.SocketTimeoutException} when the relay does not answer within the operation timeout.
 * {@link #RelayServerSocket()} is unbound; {@link #bind(SocketAddress, int)} then takes a
 * {@link RelaySocketAddress} (unbound sockets made by {@link RelayServerSocketFactory#createServerSocket()}
 * also take an {@link InetSocketAddress}, mapped as the factory says; the backlog, if positive, caps how many accepted connections may wait
 * for {@link #accept()}; default 256). Binding a bound socket throws {@code SocketException("Already
 * bound")}, as the JDK does.
 *
 * <h2>Accepting</h2>
 * {@link #accept()} blocks until a sender connects and returns a connected {@link RelaySocket}
 * whose {@link Socket#getInetAddress()}/{@link Socket#getPort()} are the sender's address as the
 * relay saw it. With {@link #setSoTimeout(int) SO_TIMEOUT} set, it throws
 * {@link java.net.SocketTimeoutException} after that long and the server socket stays usable.
 * {@link #close()} from another thread makes a pending {@code accept()} throw
 * {@code SocketException("Socket closed")}. Connections already accepted stay open.
 *
 * <h2>Reliability</h2>
 * Once online, a lost control channel is re-opened with backoff (see {@link RelayListener}); while
 * reconnecting, {@code accept()} simply waits. If the relay removes the hybrid connection or refuses
 * the credentials for good, pending and later {@code accept()} calls throw a {@link SocketException}
 * with the refusal as its cause.
 *
 * <h2>Addresses and options</h2>
 * {@link #getLocalSocketAddress()} returns the {@link RelaySocketAddress} (its {@code toString()} is
 * {@code sb://host/entity}, never a secret). There is no local port: {@link #getInetAddress()} is the
 * wildcard address and {@link #getLocalPort()} the relay endpoint's port (or -1 if the endpoint names
 * none). {@code SO_RCVBUF} and {@code SO_REUSEADDR} are accepted and reported back.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe; several threads may call {@code accept()} at once.
 * {@link #getChannel()} returns {@code null}.
 */
public class RelayServerSocket extends ServerSocket {
  private final RelayServerSocketImpl impl;
  private final TokenProvider tokenProvider;
  private final Consumer<RelayListener.Builder> customizer;
  private final RelayConnectionString defaults;
  private final RelayHostMapping mapping;

  /** An unbound server socket; {@link #bind(SocketAddress, int)} takes a {@link RelaySocketAddress}. */
  public RelayServerSocket() throws IOException {
    this(new RelayServerSocketImpl(), null, null);
  }

  /**
   * Listens on the hybrid connection named by the connection string's {@code EntityPath}; returns
   * once online.
   *
   * @throws IllegalArgumentException if the connection string is malformed or has no {@code EntityPath}
   */
  public RelayServerSocket(String connectionString) throws IOException {
    this(RelayConnectionString.parse(Objects.requireNonNull(connectionString, "connectionString")));
  }

  /** Listens on the hybrid connection named by the connection string's {@code EntityPath}; returns once online. */
  public RelayServerSocket(RelayConnectionString connectionString) throws IOException {
    this(connectionString, null);
  }

  /**
   * Listens on the hybrid connection named by the connection string's {@code EntityPath}, authorizing
   * with {@code tokenProvider} (for example Entra ID tokens) instead of the connection string's
   * credentials; returns once online.
   */
  public RelayServerSocket(RelayConnectionString connectionString, TokenProvider tokenProvider) throws IOException {
    this(new RelayServerSocketImpl(), tokenProvider, null);
    bindOrClose(RelaySocketAddress.of(connectionString), 0);
  }

  /**
   * Listens with a listener configured by {@code builder} (keep-alive, windows, accept handler, TLS,
   * ...); returns once online. The builder must not set a
   * {@link RelayListener.Builder#connectionHandler connection handler}: connections must reach
   * {@link #accept()}.
   */
  public RelayServerSocket(RelayListener.Builder builder) throws IOException {
    this(new RelayServerSocketImpl(), null, null);
    Objects.requireNonNull(builder, "builder");
    RelayListener listener = builder.build();
    impl.beginBind();
    RelayServerSocketAcceptor acceptor = null;
    try {
      acceptor = RelayServerSocketAcceptor.open(listener);
    } finally {
      impl.endBind(acceptor, RelaySocketAddress.of(addressOf(listener)));
    }
  }

  /**
   * Like {@link #RelayServerSocket(RelayConnectionString, TokenProvider)}, letting {@code customizer}
   * adjust the listener before it opens (used by {@link RelayServerSocketFactory}).
   */
  RelayServerSocket(RelayConnectionString connectionString, TokenProvider tokenProvider,
      Consumer<RelayListener.Builder> customizer, int backlog) throws IOException {
    this(new RelayServerSocketImpl(), tokenProvider, customizer);
    bindOrClose(RelaySocketAddress.of(connectionString), backlog);
  }

  /**
   * An unbound server socket whose binds use {@code tokenProvider} and {@code customizer}, and map an
   * {@link InetSocketAddress} (or {@code null}) to a hybrid connection of {@code defaults} through
   * {@code mapping} (used by {@link RelayServerSocketFactory}).
   */
  RelayServerSocket(RelayConnectionString defaults, RelayHostMapping mapping, TokenProvider tokenProvider,
      Consumer<RelayListener.Builder> customizer) throws IOException {
    this(new RelayServerSocketImpl(), tokenProvider, customizer, defaults, mapping);
  }

  /** A server socket taking its connections from {@code acceptor} (tests). */
  RelayServerSocket(RelayServerSocketAcceptor acceptor, RelaySocketAddress address) throws IOException {
    this(new RelayServerSocketImpl(), null, null);
    impl.beginBind();
    impl.endBind(acceptor, address);
  }

  private RelayServerSocket(RelayServerSocketImpl impl, TokenProvider tokenProvider,
      Consumer<RelayListener.Builder> customizer) throws IOException {
    this(impl, tokenProvider, customizer, null, null);
  }

  private RelayServerSocket(RelayServerSocketImpl impl, TokenProvider tokenProvider,
      Consumer<RelayListener.Builder> customizer, RelayConnectionString defaults, RelayHostMapping mapping)
      throws IOException {
    super(impl);
    this.impl = impl;
    this.tokenProvider = tokenProvider;
    this.customizer = customizer;
    this.defaults = defaults;
    this.mapping = mapping == null ? RelayHostMapping.entityPath() : mapping;
  }

  private static RelayConnectionString addressOf(RelayListener listener) {
    java.net.URI a = listener.address();
    String path = a.getPath().startsWith("/") ? a.getPath().substring(1) : a.getPath();
    int port = a.getPort();
    return RelayConnectionString.builder().endpoint("sb://" + a.getHost() + (port > 0 ? ":" + port : "") + "/")
        .entityPath(path).build();
  }

  private void bindOrClose(RelaySocketAddress address, int backlog) throws IOException {
    try {
      bind(address, backlog);
    } catch (IOException | RuntimeException e) {
      try {
        close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * Registers with the relay as a listener on {@code endpoint}, which must be a
   * {@link RelaySocketAddress}; returns once online.
   *
   * @param backlog if positive, how many accepted connections may wait for {@link #accept()}
   * @throws IllegalArgumentException if {@code endpoint} is not a {@link RelaySocketAddress}
   * @throws SocketException if closed or already bound
   */
  @Override
  public void bind(SocketAddress endpoint, int backlog) throws IOException {
    if (defaults != null && (endpoint == null || endpoint instanceof InetSocketAddress)) {
      endpoint = map((InetSocketAddress) endpoint);
    }
    if (endpoint == null) {
      if (isClosed()) {
        throw new SocketException("Socket is closed");
      }
      if (isBound()) {
        throw new SocketException("Already bound");
      }
      throw new IllegalArgumentException("A RelayServerSocket has no ephemeral address; bind to a RelaySocketAddress");
    }
    if (!(endpoint instanceof RelaySocketAddress)) {
      throw new IllegalArgumentException("Unsupported address type: " + endpoint.getClass().getName()
          + "; a RelayServerSocket binds to a RelaySocketAddress");
    }
    RelaySocketAddress address = (RelaySocketAddress) endpoint;
    impl.beginBind();
    RelayServerSocketAcceptor acceptor = null;
    try {
      RelayListener.Builder b = RelayListener.builder(address.connectionString());
      if (tokenProvider != null) {
        b.tokenProvider(tokenProvider);
      }
      if (backlog > 0) {
        b.backlog(backlog);
      }
      if (customizer != null) {
        customizer.accept(b);
      }
      acceptor = RelayServerSocketAcceptor.open(b.build());
    } finally {
      impl.endBind(acceptor, address);
    }
  }

  private RelaySocketAddress map(InetSocketAddress requested) throws IOException {
    String host = requested == null ? "" : requested.getHostString();
    int port = requested == null ? 0 : requested.getPort();
    String entity = mapping.entityPathFor(host == null ? "" : host, port);
    if (entity == null) {
      entity = defaults.entityPath();
    }
    if (entity == null) {
      throw new java.net.BindException("No hybrid connection for " + host + ":" + port
          + ": the host mapping gave none and the connection string has no EntityPath");
    }
    return RelaySocketAddress.of(defaults, entity);
  }

  @Override
  public void bind(SocketAddress endpoint) throws IOException {
    bind(endpoint, 0);
  }

  /**
   * Waits for the next sender and returns it as a connected {@link RelaySocket}.
   *
   * @throws java.net.SocketTimeoutException if {@code SO_TIMEOUT} elapsed; the server socket stays usable
   * @throws SocketException if the server socket is closed (also from another thread during the wait),
   *     not bound, or the listener went offline for good (cause attached)
   */
  @Override
  public Socket accept() throws IOException {
    RelayConnection c = impl.acceptConnection();
    try {
      return new RelaySocket(RelaySocketImpl.accepted(c, impl.address()));
    } catch (SocketException | RuntimeException e) {
      c.abort();
      throw e;
    }
  }

  /** Unregisters from the relay; makes pending {@link #accept()} calls throw. Idempotent. */
  @Override
  public void close() throws IOException {
    impl.close();
  }

  @Override
  public boolean isBound() {
    return impl.isBound();
  }

  @Override
  public boolean isClosed() {
    return impl.isClosed();
  }

  /** Whether the listener is currently registered with the relay (false while it reconnects). */
  public boolean isOnline() {
    return impl.isOnline();
  }

  /** The wildcard address once bound, else {@code null}: a relay server socket has no local address. */
  @Override
  public InetAddress getInetAddress() {
    return isBound() ? new InetSocketAddress(0).getAddress() : null;
  }

  /** The relay endpoint's port, -1 if unbound or if the endpoint names no port. */
  @Override
  public int getLocalPort() {
    RelaySocketAddress a = impl.address();
    return a == null ? -1 : a.endpoint().getPort();
  }

  /** The {@link RelaySocketAddress} this socket listens on, or {@code null} if unbound. */
  @Override
  public SocketAddress getLocalSocketAddress() {
    return impl.address();
  }

  /** The {@link RelaySocketAddress} this socket listens on, or {@code null} if unbound. */
  public RelaySocketAddress getRelaySocketAddress() {
    return impl.address();
  }

  /** Always {@code null}: relay server sockets have no channel. */
  @Override
  public ServerSocketChannel getChannel() {
    return null;
  }

  @Override
  public void setSoTimeout(int timeout) throws SocketException {
    if (isClosed()) {
      throw new SocketException("Socket is closed");
    }
    if (timeout < 0) {
      throw new IllegalArgumentException("timeout < 0: " + timeout);
    }
    impl.setOption(java.net.SocketOptions.SO_TIMEOUT, timeout);
  }

  @Override
  public int getSoTimeout() throws IOException {
    if (isClosed()) {
      throw new SocketException("Socket is closed");
    }
    return (Integer) impl.getOption(java.net.SocketOptions.SO_TIMEOUT);
  }

  /** Accepted and ignored: the relay decides. */
  @Override
  public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {}

  @Override
  public String toString() {
    return impl.toString();
  }
}
