package dev.hybridrelay.socket.internal;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.socket.RelayHostMapping;
import dev.hybridrelay.socket.RelaySocketAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SocketImpl} behind {@code RelaySocket}: one relay connection plus the socket state and
 * options that {@link java.net.Socket} expects.
 *
 * <p>State changes happen under {@link #lock}; the flags are volatile so that the streams can check
 * them without the lock. Reads and writes never hold the lock, so {@link #close()} from another thread
 * always gets through and unblocks them (the relay connection's close wakes blocked readers and
 * writers). Options without a meaning on the relay (buffer sizes, keep-alive, no-delay, linger other
 * than 0, traffic class, OOB inline, reuse address) are stored and reported back, as a socket on a
 * platform that ignores them would.
 */
public final class RelaySocketImpl extends SocketImpl {
  private static final Logger LOG = LoggerFactory.getLogger("dev.hybridrelay.socket.RelaySocket");
  /** What an unconnected JDK socket reports on Linux; only reported, the relay has its own windows. */
  private static final int DEFAULT_BUFFER_SIZE = 65536;

  private final Object lock = new Object();
  private final RelayConnectionString defaults;
  private final RelayHostMapping mapping;
  private final RelaySocketConnector connector;

  private volatile RelayConnection connection;
  private volatile boolean connecting;
  private volatile boolean bound;
  private volatile boolean closed;
  private volatile boolean inputShutdown;
  private volatile boolean outputShutdown;
  private volatile RelaySocketAddress relayAddress;
  private volatile InetSocketAddress remote;
  private volatile InetSocketAddress local;
  private InputStream in;
  private OutputStream out;

  private volatile int soTimeout;
  private volatile boolean tcpNoDelay;
  private volatile boolean keepAlive;
  private volatile boolean reuseAddress;
  private volatile boolean oobInline;
  private volatile int linger = -1;
  private volatile int sendBufferSize = DEFAULT_BUFFER_SIZE;
  private volatile int receiveBufferSize = DEFAULT_BUFFER_SIZE;
  private volatile int trafficClass;

  /**
   * An unconnected socket.
   *
   * @param defaults the connection string used to map {@code host:port}, or {@code null} if the
   *     socket connects only to {@code RelaySocketAddress}es
   */
  public RelaySocketImpl(RelayConnectionString defaults, RelayHostMapping mapping, RelaySocketConnector connector) {
    this.defaults = defaults;
    this.mapping = mapping == null ? RelayHostMapping.entityPath() : mapping;
    this.connector = connector;
  }

  /** A socket connected through {@code accepted} (the listener side). */
  public static RelaySocketImpl accepted(RelayConnection accepted, RelaySocketAddress at) {
    RelaySocketImpl impl = new RelaySocketImpl(null, null, null);
    impl.relayAddress = at;
    impl.attach(accepted, toReported(accepted.remoteAddress()));
    return impl;
  }

  // ---- state ---------------------------------------------------------------------------------

  public boolean isConnected() {
    return connection != null;
  }

  public boolean isBound() {
    return bound || connection != null;
  }

  public boolean isClosed() {
    return closed;
  }

  public boolean isInputShutdown() {
    return inputShutdown;
  }

  public boolean isOutputShutdown() {
    return outputShutdown;
  }

  public RelaySocketAddress relayAddress() {
    return relayAddress;
  }

  public RelayConnection connection() {
    return connection;
  }

  public InetSocketAddress remote() {
    return remote;
  }

  public InetSocketAddress local() {
    return local;
  }

  // ---- connect -------------------------------------------------------------------------------

  /** Socket.connect semantics: see {@code RelaySocket#connect(SocketAddress, int)}. */
  public void connectTo(SocketAddress endpoint, int timeoutMillis) throws IOException {
    if (endpoint == null) {
      throw new IllegalArgumentException("connect: The address can't be null");
    }
    if (timeoutMillis < 0) {
      throw new IllegalArgumentException("connect: timeout can't be negative");
    }
    RelaySocketAddress target;
    InetSocketAddress requested = null;
    if (endpoint instanceof RelaySocketAddress) {
      target = (RelaySocketAddress) endpoint;
      if (!target.hasCredentials() && defaults != null && defaults.hasCredentials()
          && target.endpoint().equals(defaults.endpoint())) {
        target = RelaySocketAddress.of(defaults, target.entityPath());
      }
    } else if (endpoint instanceof InetSocketAddress) {
      requested = (InetSocketAddress) endpoint;
      target = map(requested);
    } else {
      throw new IllegalArgumentException("Unsupported address type: " + endpoint.getClass().getName()
          + "; a RelaySocket connects to a RelaySocketAddress (or to an InetSocketAddress when created with a "
          + "connection string or by a RelaySocketFactory)");
    }
    synchronized (lock) {
      if (closed) {
        throw new SocketException("Socket is closed");
      }
      if (connection != null) {
        throw new SocketException("already connected");
      }
      if (connecting) {
        throw new SocketException("Connection already in progress");
      }
      connecting = true;
    }
    RelayConnection c = null;
    try {
      if (connector == null) {
        throw new SocketException("This socket was accepted by a RelayServerSocket and cannot connect again");
      }
      relayAddress = target;
      LOG.debug("Connecting to {} (requested {})", target, requested == null ? target : requested);
      c = connector.connect(target, timeoutMillis == 0 ? null : Duration.ofMillis(timeoutMillis));
      synchronized (lock) {
        if (closed) {
          c.abort();
          throw new SocketException("Socket closed");
        }
        attach(c, toReported(requested != null ? requested : c.remoteAddress()));
      }
      LOG.debug("Connected to {}, tracking id {}", target, c.trackingId());
    } finally {
      connecting = false;
    }
  }

  private RelaySocketAddress map(InetSocketAddress requested) throws IOException {
    if (defaults == null) {
      throw new IllegalArgumentException("Unsupported address type: this RelaySocket has no connection string to "
          + "map " + requested + " to a hybrid connection; connect to a RelaySocketAddress, or create the socket "
          + "with new RelaySocket(RelayConnectionString) or a RelaySocketFactory");
    }
    String host = requested.getHostString();
    String entity = mapping.entityPathFor(host == null ? "" : host, requested.getPort());
    if (entity == null) {
      entity = defaults.entityPath();
    }
    if (entity == null) {
      throw new ConnectException("No hybrid connection for " + host + ":" + requested.getPort()
          + ": the host mapping gave none and the connection string has no EntityPath");
    }
    try {
      return RelaySocketAddress.of(defaults, entity);
    } catch (IllegalArgumentException e) {
      throw new ConnectException("The host mapping turned " + host + ":" + requested.getPort()
          + " into an invalid hybrid connection name: " + e.getMessage());
    }
  }

  private void attach(RelayConnection c, InetSocketAddress reportedRemote) {
    if (soTimeout > 0) {
      c.setReadTimeout(Duration.ofMillis(soTimeout));
    }
    InetSocketAddress l = c.localAddress();
    this.local = l == null ? new InetSocketAddress(0) : toReported(l);
    this.remote = reportedRemote;
    this.address = reportedRemote.getAddress();
    this.port = reportedRemote.getPort();
    this.localport = local.getPort();
    this.connection = c;
  }

  /**
   * An address with an {@link InetAddress}, without a DNS lookup: IP literals are parsed, names keep
   * their text with the wildcard address (the relay reports the peer as text).
   */
  static InetSocketAddress toReported(InetSocketAddress a) {
    if (a == null) {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }
    if (!a.isUnresolved()) {
      return a;
    }
    String host = a.getHostString();
    try {
      if (host.indexOf(':') >= 0 || host.matches("[0-9.]+")) {
        return new InetSocketAddress(InetAddress.getByName(host), a.getPort());
      }
      return new InetSocketAddress(InetAddress.getByAddress(host, new byte[4]), a.getPort());
    } catch (UnknownHostException e) {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), a.getPort());
    }
  }

  /** Socket.bind semantics: nothing to bind on a relay, the address is only recorded. */
  public void bindTo(SocketAddress bindpoint) throws IOException {
    synchronized (lock) {
      if (closed) {
        throw new SocketException("Socket is closed");
      }
      if (isBound()) {
        throw new SocketException("Already bound");
      }
      if (bindpoint != null && !(bindpoint instanceof InetSocketAddress)) {
        throw new IllegalArgumentException("Unsupported address type");
      }
      bound = true;
    }
  }

  // ---- streams and close ---------------------------------------------------------------------

  /** The connection string used to map {@code host:port}, or {@code null}. */
  public RelayConnectionString defaults() {
    return defaults;
  }

  @Override
  protected InputStream getInputStream() throws IOException {
    return inputStream();
  }

  @Override
  protected OutputStream getOutputStream() throws IOException {
    return outputStream();
  }

  /** Socket.getInputStream semantics. */
  public InputStream inputStream() throws IOException {
    synchronized (lock) {
      checkOpenConnected();
      if (inputShutdown) {
        throw new SocketException("Socket input is shutdown");
      }
      if (in == null) {
        in = new RelaySocketStreams.Input(this, connection.getInputStream());
      }
      return in;
    }
  }

  /** Socket.getOutputStream semantics. */
  public OutputStream outputStream() throws IOException {
    synchronized (lock) {
      checkOpenConnected();
      if (outputShutdown) {
        throw new SocketException("Socket output is shutdown");
      }
      if (out == null) {
        out = new RelaySocketStreams.Output(this, connection.getOutputStream());
      }
      return out;
    }
  }

  private void checkOpenConnected() throws SocketException {
    if (closed) {
      throw new SocketException("Socket is closed");
    }
    if (connection == null) {
      throw new SocketException("Socket is not connected");
    }
  }

  @Override
  public void shutdownInput() throws IOException {
    RelayConnection c;
    synchronized (lock) {
      checkOpenConnected();
      if (inputShutdown) {
        throw new SocketException("Socket input is already shutdown");
      }
      inputShutdown = true;
      c = connection;
    }
    c.shutdownInput();
  }

  @Override
  public void shutdownOutput() throws IOException {
    RelayConnection c;
    synchronized (lock) {
      checkOpenConnected();
      if (outputShutdown) {
        throw new SocketException("Socket output is already shutdown");
      }
      outputShutdown = true;
      c = connection;
    }
    c.shutdownOutput();
  }

  /**
   * Closes: Close 1000 after all written data, or an abort (the peer sees an error, like a TCP RST)
   * when {@code SO_LINGER} is on with timeout 0. The relay connection's close waits for the peer's
   * Close (up to its deadline), which arrives only once the peer application closes or shuts down
   * its output; a TCP close does not wait, so by default the handshake finishes in the background,
   * as the kernel finishes a TCP close. With {@code SO_LINGER} on and a positive timeout, the caller
   * waits, as with TCP. Idempotent.
   */
  @Override
  public void close() throws IOException {
    RelayConnection c;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      c = connection;
    }
    if (c == null) {
      return;
    }
    int l = linger;
    if (l == 0) {
      LOG.debug("Aborting {} (SO_LINGER 0), tracking id {}", relayAddress, c.trackingId());
      c.abort();
    } else if (l > 0) {
      LOG.debug("Closing {} (SO_LINGER {}), tracking id {}", relayAddress, l, c.trackingId());
      c.close();
    } else {
      LOG.debug("Closing {}, tracking id {}", relayAddress, c.trackingId());
      RelaySocketCloser.close(c);
    }
  }

  @Override
  protected int available() throws IOException {
    synchronized (lock) {
      checkOpenConnected();
    }
    return inputShutdown ? 0 : connection.getInputStream().available();
  }

  // ---- SocketImpl methods the relay socket routes elsewhere ------------------------------------

  @Override
  protected void create(boolean stream) throws IOException {
    if (!stream) {
      throw new SocketException("Relay sockets are stream sockets; datagrams are not supported");
    }
  }

  @Override
  protected void connect(String host, int port) throws IOException {
    connectTo(InetSocketAddress.createUnresolved(host, port), 0);
  }

  @Override
  protected void connect(InetAddress address, int port) throws IOException {
    connectTo(new InetSocketAddress(address, port), 0);
  }

  @Override
  protected void connect(SocketAddress address, int timeout) throws IOException {
    connectTo(address, timeout);
  }

  @Override
  protected void bind(InetAddress host, int port) throws IOException {
    bindTo(new InetSocketAddress(host, port));
  }

  @Override
  protected void listen(int backlog) throws IOException {
    throw new SocketException("A RelaySocket cannot listen; use RelayServerSocket");
  }

  @Override
  protected void accept(SocketImpl s) throws IOException {
    throw new SocketException("A RelaySocket cannot accept; use RelayServerSocket");
  }

  @Override
  protected void sendUrgentData(int data) throws IOException {
    throw new SocketException("Urgent data is not supported by relay sockets: the relay carries only in-band "
        + "WebSocket messages");
  }

  @Override
  protected boolean supportsUrgentData() {
    return false;
  }

  // ---- options -------------------------------------------------------------------------------

  @Override
  public void setOption(int optID, Object value) throws SocketException {
    if (closed) {
      throw new SocketException("Socket is closed");
    }
    switch (optID) {
      case SO_TIMEOUT:
        int t = (Integer) value;
        if (t < 0) {
          throw new IllegalArgumentException("timeout < 0: " + t);
        }
        soTimeout = t;
        RelayConnection c = connection;
        if (c != null) {
          c.setReadTimeout(Duration.ofMillis(t));
        }
        break;
      case TCP_NODELAY:
        tcpNoDelay = (Boolean) value;
        break;
      case SO_KEEPALIVE:
        keepAlive = (Boolean) value;
        break;
      case SO_REUSEADDR:
        reuseAddress = (Boolean) value;
        break;
      case SO_OOBINLINE:
        oobInline = (Boolean) value;
        break;
      case SO_LINGER:
        linger = value instanceof Integer ? Math.min((Integer) value, 65535) : -1;
        break;
      case SO_SNDBUF:
        sendBufferSize = positive((Integer) value, "send buffer size");
        break;
      case SO_RCVBUF:
        receiveBufferSize = positive((Integer) value, "receive buffer size");
        break;
      case IP_TOS:
        trafficClass = (Integer) value & 0xff;
        break;
      default:
        throw new SocketException("Option 0x" + Integer.toHexString(optID) + " is not supported by relay sockets");
    }
  }

  private static int positive(int v, String what) {
    if (v <= 0) {
      throw new IllegalArgumentException("Invalid " + what + ": " + v);
    }
    return v;
  }

  @Override
  public Object getOption(int optID) throws SocketException {
    if (closed) {
      throw new SocketException("Socket is closed");
    }
    switch (optID) {
      case SO_TIMEOUT:
        return soTimeout;
      case TCP_NODELAY:
        return tcpNoDelay;
      case SO_KEEPALIVE:
        return keepAlive;
      case SO_REUSEADDR:
        return reuseAddress;
      case SO_OOBINLINE:
        return oobInline;
      case SO_LINGER:
        return linger < 0 ? (Object) Boolean.FALSE : (Object) linger;
      case SO_SNDBUF:
        return sendBufferSize;
      case SO_RCVBUF:
        return receiveBufferSize;
      case IP_TOS:
        return trafficClass;
      case SO_BINDADDR:
        InetSocketAddress l = local;
        return l != null ? l.getAddress() : new InetSocketAddress(0).getAddress();
      default:
        throw new SocketException("Option 0x" + Integer.toHexString(optID) + " is not supported by relay sockets");
    }
  }

  private static final Set<SocketOption<?>> OPTIONS = Set.of(StandardSocketOptions.SO_KEEPALIVE,
      StandardSocketOptions.SO_LINGER, StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_RCVBUF,
      StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.IP_TOS);

  @Override
  protected Set<SocketOption<?>> supportedOptions() {
    return OPTIONS;
  }

  @Override
  protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
    if (name == StandardSocketOptions.SO_LINGER) {
      int v = (Integer) value;
      setOption(SO_LINGER, v < 0 ? (Object) Boolean.FALSE : (Object) v);
    } else {
      setOption(optionId(name), value);
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  protected <T> T getOption(SocketOption<T> name) throws IOException {
    if (name == StandardSocketOptions.SO_LINGER) {
      Object v = getOption(SO_LINGER);
      return (T) (v instanceof Integer ? v : Integer.valueOf(-1));
    }
    return (T) getOption(optionId(name));
  }

  static int optionId(SocketOption<?> name) {
    if (name == StandardSocketOptions.SO_KEEPALIVE) {
      return SO_KEEPALIVE;
    } else if (name == StandardSocketOptions.SO_SNDBUF) {
      return SO_SNDBUF;
    } else if (name == StandardSocketOptions.SO_RCVBUF) {
      return SO_RCVBUF;
    } else if (name == StandardSocketOptions.SO_REUSEADDR) {
      return SO_REUSEADDR;
    } else if (name == StandardSocketOptions.TCP_NODELAY) {
      return TCP_NODELAY;
    } else if (name == StandardSocketOptions.IP_TOS) {
      return IP_TOS;
    }
    throw new UnsupportedOperationException("'" + name + "' not supported");
  }

  @Override
  public String toString() {
    RelayConnection c = connection;
    if (c == null) {
      return "RelaySocket[unconnected" + (closed ? ",closed" : "") + "]";
    }
    return "RelaySocket[relay=" + relayAddress + ",addr=" + remote.getAddress() + ",port=" + remote.getPort()
        + ",localport=" + local.getPort() + ",trackingId=" + c.trackingId() + (closed ? ",closed" : "") + "]";
  }
}
