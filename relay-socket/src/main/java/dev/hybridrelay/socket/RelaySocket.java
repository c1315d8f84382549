package dev.hybridrelay.socket;

import dev.hybridrelay.core.RelayCloseStatus;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.TokenProvider;
import dev.hybridrelay.socket.internal.RelaySocketConnector;
import dev.hybridrelay.socket.internal.RelaySocketImpl;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link Socket} whose connection runs through an Azure Relay hybrid connection: a drop-in for code
 * written against {@code java.net.Socket}.
 *
 * <pre>{@code
 * try (Socket s = new RelaySocket(connectionString)) {   // like new Socket(host, port)
 *   s.getOutputStream().write("hello\n".getBytes(UTF_8));
 *   s.shutdownOutput();
 *   byte[] reply = s.getInputStream().readAllBytes();
 * }
 * }</pre>
 *
 * <h2>Creating and connecting</h2>
 * <ul>
 *   <li>{@link #RelaySocket(String)} connects at once to the hybrid connection named by the
 *       connection string's {@code EntityPath}, like {@code new Socket(host, port)}.
 *   <li>{@link #RelaySocket()} is unconnected; {@link #connect(SocketAddress, int)} then takes a
 *       {@link RelaySocketAddress}.
 *   <li>{@link #RelaySocket(RelayConnectionString)} and
 *       {@link #RelaySocket(RelayConnectionString, TokenProvider)} are unconnected too, and remember the
 *       connection string: {@link #connect(SocketAddress, int)} then also takes an
 *       {@link InetSocketAddress}, which goes to the connection string's {@code EntityPath} (this is
 *       how {@link RelaySocketFactory#createSocket()} sockets serve clients that only know
 *       {@code host:port}; the factory can map hosts to other hybrid connections, see
 *       {@link RelayHostMapping}). An unresolved {@code InetSocketAddress} is fine; nothing is
 *       resolved.
 * </ul>
 * Options may be set before connecting; they apply once connected. A connect {@code timeout} of 0
 * means the sender's default (70 s, or the connection string's {@code OperationTimeout}). A refusal
 * throws {@link dev.hybridrelay.core.RelayConnectException} (a {@link java.net.ConnectException}, for
 * example 404 when no listener is online), a timeout a {@link java.net.SocketTimeoutException}.
 * {@code close()} during a {@code connect} does not cut the handshake short: the connect returns
 * within its timeout, then throws {@code SocketException("Socket closed")} and drops the connection.
 *
 * <h2>Semantics</h2>
 * The streams behave as a TCP socket's: bytes arrive in order, unmodified, without message
 * boundaries; the input returns -1 after the peer's {@link #shutdownOutput()} or {@link #close()}
 * (both are WebSocket Close 1000 on the wire), and after a peer's Close 1001 that answers our own
 * {@link #shutdownOutput()} or {@link #close()} (as the official Java SDK's listener does); any other
 * close code, a 1001 while our output is open, and a peer or relay failure make reads throw a
 * {@link SocketException} after the data that arrived before, never a clean end (the rule of
 * {@link RelayConnection}, "Close codes"; {@link #getCloseStatus()} tells the code and reason). {@code SO_TIMEOUT} makes a read throw
 * {@link java.net.SocketTimeoutException} and the socket stays usable. {@link #close()} from another
 * thread unblocks a blocked read or write, which then throws {@code SocketException}. Closing either
 * stream closes the socket. With {@code SO_LINGER} on and a timeout of 0, {@link #close()} aborts the
 * connection (the peer sees an error, as with a TCP RST) instead of closing it cleanly.
 *
 * <h2>Options</h2>
 * {@code SO_TIMEOUT} and {@code SO_LINGER 0} take effect as described. All other options
 * ({@code TCP_NODELAY}, {@code SO_KEEPALIVE}, {@code SO_SNDBUF}, {@code SO_RCVBUF},
 * {@code SO_REUSEADDR}, {@code IP_TOS}, {@code SO_OOBINLINE}, other linger values) are accepted and
 * reported back, but the relay connection has its own windows (1 MiB each way by default) and
 * keep-alive pings. {@link #sendUrgentData(int)} throws {@link SocketException}.
 *
 * <h2>Addresses</h2>
 * {@link #getInetAddress()}/{@link #getPort()} report: on a socket accepted by a
 * {@link RelayServerSocket}, the sender's address as the relay saw it; on a socket connected to an
 * {@link InetSocketAddress}, that address; on a socket connected to a {@link RelaySocketAddress}, the
 * relay's address. {@link #getLocalAddress()}/{@link #getLocalPort()} are the local end of the
 * WebSocket to the relay. {@link #getRelaySocketAddress()} gives the hybrid connection. Host names are
 * never resolved.
 *
 * <h2>Threads</h2>
 * As {@code java.net.Socket}: one thread may read while another writes; all other methods are
 * thread-safe. {@link #getChannel()} returns {@code null}.
 */
public class RelaySocket extends Socket {
  private final RelaySocketImpl impl;

  /** An unconnected socket that connects to a {@link RelaySocketAddress}. */
  public RelaySocket() throws SocketException {
    this(new RelaySocketImpl(null, null, RelaySocketConnector.senders(null, null)));
  }

  /**
   * Connects to the hybrid connection named by the connection string's {@code EntityPath}, as
   * {@code new Socket(host, port)} does.
   *
   * @throws IllegalArgumentException if the connection string is malformed or has no {@code EntityPath}
   * @throws java.net.ConnectException if the relay refused (no listener, unknown hybrid connection,
   *     credentials refused); see {@link dev.hybridrelay.core.RelayConnectException}
   * @throws java.net.SocketTimeoutException if no listener accepted within the operation timeout
   * @throws IOException on network failure
   */
  public RelaySocket(String connectionString) throws IOException {
    this(RelayConnectionString.parse(Objects.requireNonNull(connectionString, "connectionString")));
    try {
      connect(RelaySocketAddress.of(impl.defaults()));
    } catch (IOException | RuntimeException e) {
      closeQuietly(e);
      throw e;
    }
  }

  /**
   * An unconnected socket that remembers {@code connectionString}: {@link #connect} takes a
   * {@link RelaySocketAddress}, or an {@link InetSocketAddress} (any host and port), which goes to
   * the connection string's {@code EntityPath}.
   */
  public RelaySocket(RelayConnectionString connectionString) throws SocketException {
    this(connectionString, null);
  }

  /**
   * As {@link #RelaySocket(RelayConnectionString)}, authorizing with {@code tokenProvider} instead of
   * the connection string's credentials (which may then be absent).
   */
  public RelaySocket(RelayConnectionString connectionString, TokenProvider tokenProvider) throws SocketException {
    this(connectionString, RelayHostMapping.entityPath(), RelaySocketConnector.senders(
        tokenProvider != null ? tokenProvider
            : connectionString.hasCredentials() ? connectionString.tokenProvider() : null, null));
  }

  RelaySocket(RelayConnectionString defaults, RelayHostMapping mapping, RelaySocketConnector connector)
      throws SocketException {
    this(new RelaySocketImpl(Objects.requireNonNull(defaults, "connectionString"), mapping, connector));
  }

  RelaySocket(RelaySocketImpl impl) throws SocketException {
    super(impl);
    this.impl = impl;
  }

  private void closeQuietly(Exception cause) {
    try {
      close();
    } catch (IOException e) {
      cause.addSuppressed(e);
    }
  }

  /**
   * Connects to a {@link RelaySocketAddress}, or to an {@link InetSocketAddress} mapped to a hybrid
   * connection (see the class documentation).
   *
   * @param timeout milliseconds to wait for a listener to accept; 0 for the sender's default
   * @throws IllegalArgumentException if {@code endpoint} is null or of a type this socket cannot map
   * @throws SocketException if the socket is closed or already connected
   */
  @Override
  public void connect(SocketAddress endpoint, int timeout) throws IOException {
    impl.connectTo(endpoint, timeout);
  }

  @Override
  public void connect(SocketAddress endpoint) throws IOException {
    connect(endpoint, 0);
  }

  /** Records the request; a relay socket's local end is chosen by the operating system. */
  @Override
  public void bind(SocketAddress bindpoint) throws IOException {
    impl.bindTo(bindpoint);
  }

  @Override
  public InputStream getInputStream() throws IOException {
    return impl.inputStream();
  }

  @Override
  public OutputStream getOutputStream() throws IOException {
    return impl.outputStream();
  }

  /** Sends WebSocket Close 1000 after all written data; the peer reads end-of-stream and may go on writing. */
  @Override
  public void shutdownOutput() throws IOException {
    impl.shutdownOutput();
  }

  /** Discards further incoming data; reads return -1. */
  @Override
  public void shutdownInput() throws IOException {
    impl.shutdownInput();
  }

  /**
   * Closes the socket: a clean WebSocket close after all written data (bounded by a deadline), or an
   * abort if {@code SO_LINGER} is on with timeout 0. Unblocks reads and writes on other threads.
   * Idempotent.
   */
  @Override
  public void close() throws IOException {
    impl.close();
  }

  @Override
  public boolean isConnected() {
    return impl.isConnected();
  }

  @Override
  public boolean isBound() {
    return impl.isBound();
  }

  @Override
  public boolean isClosed() {
    return impl.isClosed();
  }

  @Override
  public boolean isInputShutdown() {
    return impl.isInputShutdown();
  }

  @Override
  public boolean isOutputShutdown() {
    return impl.isOutputShutdown();
  }

  @Override
  public InetAddress getInetAddress() {
    InetSocketAddress r = impl.remote();
    return r == null ? null : r.getAddress();
  }

  @Override
  public int getPort() {
    InetSocketAddress r = impl.remote();
    return r == null ? 0 : r.getPort();
  }

  @Override
  public SocketAddress getRemoteSocketAddress() {
    return impl.remote();
  }

  @Override
  public InetAddress getLocalAddress() {
    InetSocketAddress l = impl.local();
    return l != null ? l.getAddress() : new InetSocketAddress(0).getAddress();
  }

  @Override
  public int getLocalPort() {
    InetSocketAddress l = impl.local();
    return l != null ? l.getPort() : -1;
  }

  @Override
  public SocketAddress getLocalSocketAddress() {
    return impl.local();
  }

  /** Always {@code null}: relay sockets have no channel. */
  @Override
  public SocketChannel getChannel() {
    return null;
  }

  /** The hybrid connection this socket is connected (or being connected) to, or {@code null}. */
  public RelaySocketAddress getRelaySocketAddress() {
    return impl.relayAddress();
  }

  /** The relay's tracking id of this connection (for logs and support requests), or {@code null} before connect. */
  public String getTrackingId() {
    RelayConnection c = impl.connection();
    return c == null ? null : c.trackingId();
  }

  /**
   * On a socket accepted by a {@link RelayServerSocket}, a handshake header the sender sent (names
   * are case-insensitive; the relay token is never included).
   */
  public Optional<String> getRequestHeader(String name) {
    RelayConnection c = impl.connection();
    return c == null ? Optional.empty() : Optional.ofNullable(c.requestHeaders().get(name));
  }

  /** How the peer ended the connection (close code and reason), once it did. */
  public Optional<RelayCloseStatus> getCloseStatus() {
    RelayConnection c = impl.connection();
    return c == null ? Optional.empty() : c.closeStatus();
  }

  @Override
  public String toString() {
    return impl.toString();
  }
}
