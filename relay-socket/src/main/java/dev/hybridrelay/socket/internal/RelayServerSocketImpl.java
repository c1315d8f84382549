package dev.hybridrelay.socket.internal;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.socket.RelaySocketAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SocketImpl} behind {@code RelayServerSocket}: the listener registration, its state and
 * the options {@link java.net.ServerSocket} expects. {@link #close()} closes the listener, which makes
 * a pending {@link #acceptConnection()} throw; the lock is never held while waiting.
 */
public final class RelayServerSocketImpl extends SocketImpl {
  private static final Logger LOG = LoggerFactory.getLogger("dev.hybridrelay.socket.RelayServerSocket");

  private final Object lock = new Object();
  private volatile RelayServerSocketAcceptor acceptor;
  private volatile RelaySocketAddress address;
  private volatile boolean binding;
  private volatile boolean closed;
  private volatile int soTimeout;
  private volatile int receiveBufferSize = 65536;
  private volatile boolean reuseAddress = true;

  /** An unbound server socket. */
  public RelayServerSocketImpl() {}

  public boolean isBound() {
    return acceptor != null;
  }

  public boolean isClosed() {
    return closed;
  }

  public RelaySocketAddress address() {
    return address;
  }

  public boolean isOnline() {
    RelayServerSocketAcceptor a = acceptor;
    return a != null && !closed && a.isOnline();
  }

  /** Marks the start of a bind; throws as {@code ServerSocket.bind} does if closed or bound. */
  public void beginBind() throws SocketException {
    synchronized (lock) {
      if (closed) {
        throw new SocketException("Socket is closed");
      }
      if (acceptor != null || binding) {
        throw new SocketException("Already bound");
      }
      binding = true;
    }
  }

  /** Completes a bind started with {@link #beginBind()}; {@code acceptor == null} means it failed. */
  public void endBind(RelayServerSocketAcceptor newAcceptor, RelaySocketAddress at) throws IOException {
    synchronized (lock) {
      binding = false;
      if (newAcceptor == null) {
        return;
      }
      if (!closed) {
        this.address = at;
        this.acceptor = newAcceptor;
        this.localport = at.endpoint().getPort();
        LOG.debug("Listening on {}", at);
        return;
      }
    }
    newAcceptor.close();
    throw new SocketException("Socket is closed");
  }

  /** ServerSocket.accept semantics, returning the relay connection. */
  public RelayConnection acceptConnection() throws IOException {
    RelayServerSocketAcceptor a = acceptor;
    if (closed) {
      throw new SocketException("Socket is closed");
    }
    if (a == null) {
      throw new SocketException("Socket is not bound yet");
    }
    int timeout = soTimeout;
    RelayConnection c;
    try {
      c = a.accept(timeout == 0 ? Duration.ZERO : Duration.ofMillis(timeout));
    } catch (SocketTimeoutException e) {
      if (closed) {
        throw closedException(e);
      }
      SocketTimeoutException t = new SocketTimeoutException("Accept timed out");
      t.initCause(e);
      throw t;
    } catch (IOException e) {
      if (closed) {
        throw closedException(e);
      }
      if (e instanceof SocketException) {
        throw e;
      }
      SocketException se = new SocketException("Accept failed on " + address + ": " + e.getMessage());
      se.initCause(e);
      throw se;
    }
    if (closed) {
      c.abort();
      throw new SocketException("Socket closed");
    }
    LOG.debug("Accepted connection on {}, tracking id {}", address, c.trackingId());
    return c;
  }

  private static SocketException closedException(Exception cause) {
    SocketException se = new SocketException("Socket closed");
    se.initCause(cause);
    return se;
  }

  /** Closes the listener registration; connections already accepted stay open. Idempotent. */
  @Override
  public void close() throws IOException {
    RelayServerSocketAcceptor a;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      a = acceptor;
    }
    if (a != null) {
      LOG.debug("Closing listener on {}", address);
      a.close();
    }
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
        break;
      case SO_RCVBUF:
        int size = (Integer) value;
        if (size <= 0) {
          throw new IllegalArgumentException("Invalid receive buffer size: " + size);
        }
        receiveBufferSize = size;
        break;
      case SO_REUSEADDR:
        reuseAddress = (Boolean) value;
        break;
      default:
        throw new SocketException("Option 0x" + Integer.toHexString(optID) + " is not supported by relay server sockets");
    }
  }

  @Override
  public Object getOption(int optID) throws SocketException {
    if (closed) {
      throw new SocketException("Socket is closed");
    }
    switch (optID) {
      case SO_TIMEOUT:
        return soTimeout;
      case SO_RCVBUF:
        return receiveBufferSize;
      case SO_REUSEADDR:
        return reuseAddress;
      case SO_BINDADDR:
        return new java.net.InetSocketAddress(0).getAddress();
      default:
        throw new SocketException("Option 0x" + Integer.toHexString(optID) + " is not supported by relay server sockets");
    }
  }

  private static final Set<SocketOption<?>> OPTIONS =
      Set.of(StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_REUSEADDR);

  @Override
  protected Set<SocketOption<?>> supportedOptions() {
    return OPTIONS;
  }

  @Override
  protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
    if (!OPTIONS.contains(name)) {
      throw new UnsupportedOperationException("'" + name + "' not supported");
    }
    setOption(RelaySocketImpl.optionId(name), value);
  }

  @Override
  @SuppressWarnings("unchecked")
  protected <T> T getOption(SocketOption<T> name) throws IOException {
    if (!OPTIONS.contains(name)) {
      throw new UnsupportedOperationException("'" + name + "' not supported");
    }
    return (T) getOption(RelaySocketImpl.optionId(name));
  }

  // ---- SocketImpl methods a relay server socket does not use ------------------------------------

  @Override
  protected void create(boolean stream) throws IOException {
    if (!stream) {
      throw new SocketException("Relay server sockets are stream sockets; datagrams are not supported");
    }
  }

  @Override
  protected void connect(String host, int port) throws IOException {
    throw new SocketException("A RelayServerSocket cannot connect; use RelaySocket");
  }

  @Override
  protected void connect(InetAddress address, int port) throws IOException {
    throw new SocketException("A RelayServerSocket cannot connect; use RelaySocket");
  }

  @Override
  protected void connect(SocketAddress address, int timeout) throws IOException {
    throw new SocketException("A RelayServerSocket cannot connect; use RelaySocket");
  }

  @Override
  protected void bind(InetAddress host, int port) throws IOException {
    throw new SocketException("A RelayServerSocket binds to a RelaySocketAddress, not to " + host + ":" + port);
  }

  @Override
  protected void listen(int backlog) throws IOException {
    // The listener registration happens in bind; nothing more to do.
  }

  @Override
  protected void accept(SocketImpl s) throws IOException {
    throw new SocketException("Use RelayServerSocket.accept()");
  }

  @Override
  protected InputStream getInputStream() throws IOException {
    throw new SocketException("A server socket has no streams");
  }

  @Override
  protected OutputStream getOutputStream() throws IOException {
    throw new SocketException("A server socket has no streams");
  }

  @Override
  protected int available() throws IOException {
    return 0;
  }

  @Override
  protected void sendUrgentData(int data) throws IOException {
    throw new SocketException("A server socket cannot send data");
  }

  @Override
  public String toString() {
    RelaySocketAddress a = address;
    if (a == null) {
      return "RelayServerSocket[unbound" + (closed ? ",closed" : "") + "]";
    }
    return "RelayServerSocket[" + a + (closed ? ",closed" : isOnline() ? ",online" : ",reconnecting") + "]";
  }
}
