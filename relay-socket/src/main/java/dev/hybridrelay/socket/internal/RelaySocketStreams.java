package dev.hybridrelay.socket.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Objects;

/**
 * The streams a {@code RelaySocket} hands out. They add the {@link java.net.Socket} contract on top
 * of the relay connection's streams: closing either stream closes the socket; after the socket is
 * closed every call throws {@code SocketException("Socket closed")}; after {@code shutdownInput()}
 * reads return -1; any failure surfaces as a {@link SocketException} (timeouts as
 * {@link SocketTimeoutException}), never as a clean end of stream.
 */
final class RelaySocketStreams {
  private RelaySocketStreams() {}

  static IOException translate(RelaySocketImpl socket, IOException e) {
    if (e instanceof SocketTimeoutException) {
      return e;
    }
    if (socket.isClosed()) {
      SocketException se = new SocketException("Socket closed");
      se.initCause(e);
      return se;
    }
    if (e instanceof SocketException) {
      return e;
    }
    SocketException se = new SocketException(e.getMessage() == null ? "Connection reset" : e.getMessage());
    se.initCause(e);
    return se;
  }

  static final class Input extends InputStream {
    private final RelaySocketImpl socket;
    private final InputStream in;

    Input(RelaySocketImpl socket, InputStream in) {
      this.socket = socket;
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (socket.isClosed()) {
        throw new SocketException("Socket closed");
      }
      if (socket.isInputShutdown()) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      try {
        int n = in.read(b, off, len);
        if (socket.isClosed()) {
          throw new SocketException("Socket closed");
        }
        return n;
      } catch (IOException e) {
        if (socket.isInputShutdown() && !socket.isClosed()) {
          return -1;
        }
        throw translate(socket, e);
      }
    }

    @Override
    public int available() throws IOException {
      if (socket.isClosed()) {
        throw new SocketException("Socket closed");
      }
      if (socket.isInputShutdown()) {
        return 0;
      }
      try {
        return in.available();
      } catch (IOException e) {
        throw translate(socket, e);
      }
    }

    /** Closes the socket, as closing a {@link java.net.Socket}'s input stream does. */
    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  static final class Output extends OutputStream {
    private final RelaySocketImpl socket;
    private final OutputStream out;

    Output(RelaySocketImpl socket, OutputStream out) {
      this.socket = socket;
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      check();
      if (len == 0) {
        return;
      }
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw translate(socket, e);
      }
    }

    @Override
    public void flush() throws IOException {
      check();
      try {
        out.flush();
      } catch (IOException e) {
        throw translate(socket, e);
      }
    }

    private void check() throws SocketException {
      if (socket.isClosed()) {
        throw new SocketException("Socket closed");
      }
      if (socket.isOutputShutdown()) {
        throw new SocketException("Socket output is shutdown");
      }
    }

    /** Closes the socket, as closing a {@link java.net.Socket}'s output stream does. */
    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
