package dev.hybridrelay.socket;

import dev.hybridrelay.core.RelayCloseStatus;
import dev.hybridrelay.core.RelayConnectException;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.socket.internal.RelayServerSocketAcceptor;
import dev.hybridrelay.socket.internal.RelaySocketConnector;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory stand-in for the relay: connection pairs joined by bounded pipes with the semantics
 * {@link RelayConnection} documents (half-close, clean close vs abort, read timeouts, close unblocking
 * reads and writes). It isolates the socket adapter from the WebSocket stack in fast tests.
 */
final class InMemoryRelay {
  private static final RelayConnection POISON = new MemConnection(null, null, 0, 0);
  private static final AtomicInteger PORTS = new AtomicInteger(40000);
  private final LinkedBlockingQueue<RelayConnection> pending = new LinkedBlockingQueue<>();
  private final int window;
  private volatile String listening;

  InMemoryRelay(int window) {
    this.window = window;
  }

  RelayServerSocketAcceptor acceptor(String entityPath) {
    listening = entityPath;
    return new RelayServerSocketAcceptor() {
      private volatile boolean closed;

      @Override
      public RelayConnection accept(Duration timeout) throws IOException {
        if (closed) {
          throw new SocketException("Listener closed");
        }
        RelayConnection c;
        try {
          c = timeout.isZero() ? pending.take() : pending.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException();
        }
        if (c == null) {
          throw new SocketTimeoutException("accept timed out");
        }
        if (c == POISON) {
          pending.offer(POISON);
          throw new SocketException("Listener closed");
        }
        return c;
      }

      @Override
      public boolean isOnline() {
        return !closed;
      }

      @Override
      public void close() {
        closed = true;
        listening = null;
        pending.offer(POISON);
      }
    };
  }

  RelaySocketConnector connector() {
    return (address, timeout) -> {
      if (!address.entityPath().equals(listening)) {
        throw new RelayConnectException(404, "There are no listeners connected for the endpoint.", "mem");
      }
      Pipe up = new Pipe(window);
      Pipe down = new Pipe(window);
      int clientPort = PORTS.incrementAndGet();
      MemConnection client = new MemConnection(down, up, clientPort, 443);
      MemConnection server = new MemConnection(up, down, 443, clientPort);
      pending.offer(server);
      return client;
    };
  }

  /** One direction: bounded bytes, writer end and reader end. */
  static final class Pipe {
    private final byte[] buf;
    private int r;
    private int count;
    private boolean eof;
    private boolean failed;
    private boolean readerClosed;
    private boolean writerClosed;

    Pipe(int capacity) {
      buf = new byte[capacity];
    }

    synchronized int read(byte[] b, int off, int len, long timeoutMillis) throws IOException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      while (count == 0 && !eof && !failed && !readerClosed) {
        try {
          if (timeoutMillis == 0) {
            wait();
          } else {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
              throw new SocketTimeoutException("Read timed out");
            }
            wait(left);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException();
        }
      }
      if (readerClosed) {
        throw new SocketException("Connection closed");
      }
      if (count > 0) {
        int n = Math.min(len, Math.min(count, buf.length - r));
        System.arraycopy(buf, r, b, off, n);
        r = (r + n) % buf.length;
        count -= n;
        notifyAll();
        return n;
      }
      if (failed) {
        throw new SocketException("Connection reset");
      }
      return -1;
    }

    synchronized void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        while (count == buf.length && !readerClosed && !writerClosed) {
          try {
            wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
          }
        }
        if (writerClosed || eof) {
          throw new SocketException("Connection closed");
        }
        if (readerClosed) {
          throw new SocketException("Connection reset by peer");
        }
        int w = (r + count) % buf.length;
        int n = Math.min(len, Math.min(buf.length - count, buf.length - w));
        System.arraycopy(b, off, buf, w, n);
        count += n;
        off += n;
        len -= n;
        notifyAll();
      }
    }

    synchronized int available() {
      return count;
    }

    synchronized void finish() {
      eof = true;
      notifyAll();
    }

    synchronized void fail() {
      failed = true;
      notifyAll();
    }

    synchronized void closeReader() {
      readerClosed = true;
      count = 0;
      notifyAll();
    }

    synchronized void closeWriter() {
      writerClosed = true;
      notifyAll();
    }
  }

  static final class MemConnection implements RelayConnection {
    private final Pipe in;
    private final Pipe out;
    private final int localPort;
    private final int remotePort;
    private volatile Duration readTimeout = Duration.ZERO;
    private volatile boolean closed;
    private volatile boolean inputShutdown;
    private volatile boolean outputShutdown;
    private final InputStream input = new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (inputShutdown) {
          return -1;
        }
        return in.read(b, off, len, readTimeout.toMillis());
      }

      @Override
      public int available() {
        return in.available();
      }
    };
    private final OutputStream output = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }
    };

    MemConnection(Pipe in, Pipe out, int localPort, int remotePort) {
      this.in = in;
      this.out = out;
      this.localPort = localPort;
      this.remotePort = remotePort;
    }

    @Override
    public InputStream getInputStream() {
      return input;
    }

    @Override
    public OutputStream getOutputStream() {
      return output;
    }

    @Override
    public void shutdownOutput() {
      outputShutdown = true;
      out.finish();
    }

    @Override
    public void shutdownInput() {
      inputShutdown = true;
    }

    @Override
    public void close() {
      closed = true;
      out.finish();
      out.closeWriter();
      in.closeReader();
    }

    @Override
    public void abort() {
      closed = true;
      out.fail();
      out.closeWriter();
      in.closeReader();
    }

    @Override
    public void setReadTimeout(Duration timeout) {
      readTimeout = timeout;
    }

    @Override
    public Duration getReadTimeout() {
      return readTimeout;
    }

    @Override
    public boolean isClosed() {
      return closed;
    }

    @Override
    public boolean isInputShutdown() {
      return inputShutdown;
    }

    @Override
    public boolean isOutputShutdown() {
      return outputShutdown;
    }

    @Override
    public String trackingId() {
      return "mem-" + localPort;
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return InetSocketAddress.createUnresolved("127.0.0.1", remotePort);
    }

    @Override
    public InetSocketAddress localAddress() {
      return new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), localPort);
    }

    @Override
    public Optional<String> subprotocol() {
      return Optional.empty();
    }

    @Override
    public Map<String, String> requestHeaders() {
      return Map.of();
    }

    @Override
    public Optional<RelayCloseStatus> closeStatus() {
      return Optional.empty();
    }
  }
}
