package dev.hybridrelay.core.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;

/**
 * The already connected (and, for wss, TLS-handshaken) socket handed to Java-WebSocket. It lets the
 * connection observe traffic (bytes in refresh the keep-alive clock; bytes out wake writers waiting
 * for send-window space) and abort with a TCP reset on the raw socket, which unblocks every thread
 * at once even when the TLS layer is stuck in a write.
 */
final class TcpSocketWrapper extends Socket {
  interface Observer {
    void bytesReceived(int n);

    void bytesSent(int n);
  }

  private final Socket socket;
  private final Socket raw;
  private final Observer observer;
  private final InputStream wrappedIn;
  private final OutputStream wrappedOut;

  TcpSocketWrapper(Socket socket, Socket raw, Observer observer) throws IOException {
    this.socket = socket;
    this.raw = raw;
    this.observer = observer;
    InputStream sin = socket.getInputStream();
    this.wrappedIn = new InputStream() {
      @Override
      public int read() throws IOException {
        int b = sin.read();
        if (b >= 0) {
          observer.bytesReceived(1);
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = sin.read(b, off, len);
        if (n > 0) {
          observer.bytesReceived(n);
        }
        return n;
      }

      @Override
      public int available() throws IOException {
        return sin.available();
      }

      @Override
      public void close() throws IOException {
        sin.close();
      }
    };
    this.wrappedOut = new FilterOutputStream(socket.getOutputStream()) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        observer.bytesSent(len);
      }
    };
  }

  /** Drops the connection with a TCP reset. */
  void abort() {
    try {
      raw.setSoLinger(true, 0);
    } catch (IOException ignored) {
      // already closed
    }
    try {
      raw.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  @Override
  public InputStream getInputStream() {
    return wrappedIn;
  }

  @Override
  public OutputStream getOutputStream() {
    return wrappedOut;
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      socket.close();
    } finally {
      raw.close();
    }
  }

  @Override
  public boolean isConnected() {
    return socket.isConnected();
  }

  @Override
  public boolean isBound() {
    return socket.isBound();
  }

  @Override
  public boolean isClosed() {
    return socket.isClosed();
  }

  @Override
  public void setTcpNoDelay(boolean on) throws SocketException {
    raw.setTcpNoDelay(on);
  }

  @Override
  public boolean getTcpNoDelay() throws SocketException {
    return raw.getTcpNoDelay();
  }

  @Override
  public void setReuseAddress(boolean on) throws SocketException {
    // meaningless on a connected client socket
  }

  @Override
  public boolean getReuseAddress() throws SocketException {
    return raw.getReuseAddress();
  }

  @Override
  public synchronized void setReceiveBufferSize(int size) throws SocketException {
    raw.setReceiveBufferSize(size);
  }

  @Override
  public synchronized int getReceiveBufferSize() throws SocketException {
    return raw.getReceiveBufferSize();
  }

  @Override
  public synchronized void setSoTimeout(int timeout) throws SocketException {
    socket.setSoTimeout(timeout);
  }

  @Override
  public synchronized int getSoTimeout() throws SocketException {
    return socket.getSoTimeout();
  }

  @Override
  public void setSoLinger(boolean on, int linger) throws SocketException {
    raw.setSoLinger(on, linger);
  }

  @Override
  public void shutdownInput() throws IOException {
    socket.shutdownInput();
  }

  @Override
  public void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  @Override
  public SocketAddress getRemoteSocketAddress() {
    return raw.getRemoteSocketAddress();
  }

  @Override
  public SocketAddress getLocalSocketAddress() {
    return raw.getLocalSocketAddress();
  }

  @Override
  public InetAddress getInetAddress() {
    return raw.getInetAddress();
  }

  @Override
  public InetAddress getLocalAddress() {
    return raw.getLocalAddress();
  }

  @Override
  public int getPort() {
    return raw.getPort();
  }

  @Override
  public int getLocalPort() {
    return raw.getLocalPort();
  }

  @Override
  public String toString() {
    return "TcpSocketWrapper[" + raw.getLocalSocketAddress() + " -> " + raw.getRemoteSocketAddress() + "]";
  }
}
