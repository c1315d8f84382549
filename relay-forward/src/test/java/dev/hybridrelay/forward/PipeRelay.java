package dev.hybridrelay.forward;

import dev.hybridrelay.core.RelayCloseStatus;
import dev.hybridrelay.core.RelayConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory pair of {@link RelayConnection}s with the contract's semantics: bounded buffering,
 * half-close as a clean end of stream, abort as an error on the other side, each write one message.
 * Lets forwarding tests run without a relay.
 */
public final class PipeRelay {
  private static final AtomicInteger IDS = new AtomicInteger();

  private PipeRelay() {}

  /** Two connected ends; {@code [0]} is the sender side, {@code [1]} the listener side. */
  public static RelayConnection[] pair(int window) {
    String id = "pipe-" + IDS.incrementAndGet();
    End a = new End(id, window);
    End b = new End(id, window);
    a.peer = b;
    b.peer = a;
    return new RelayConnection[] {a, b};
  }

  static final class End implements RelayConnection {
    private final String id;
    private final int window;
    private End peer;
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private int buffered;
    private int headOffset;
    private boolean eof;
    private boolean aborted;
    private boolean closed;
    private boolean outputShutdown;
    private boolean inputShutdown;
    private Duration readTimeout = Duration.ZERO;
    private RelayCloseStatus status;
    private final InputStream in = new In();
    private final OutputStream out = new Out();

    End(String id, int window) {
      this.id = id;
      this.window = window;
    }

    // --- receiving side (this end's buffer, filled by the peer) ---
    private synchronized void deliver(byte[] b) throws IOException {
      while (buffered >= window && !aborted && !closed) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException();
        }
      }
      if (aborted || closed) {
        throw new SocketException("Connection reset by peer");
      }
      if (!inputShutdown) {
        chunks.add(b);
        buffered += b.length;
      }
      notifyAll();
    }

    private synchronized void peerShutdown() {
      eof = true;
      if (status == null) {
        status = RelayCloseStatus.normal("Shutdown");
      }
      notifyAll();
    }

    private synchronized void peerAborted() {
      aborted = true;
      if (status == null) {
        status = new RelayCloseStatus(1006, "", false);
      }
      notifyAll();
    }

    private synchronized int read(byte[] b, int off, int len) throws IOException {
      long deadline = readTimeout.isZero() ? 0 : System.nanoTime() + readTimeout.toNanos();
      while (chunks.isEmpty() && !eof && !aborted && !closed) {
        try {
          if (deadline == 0) {
            wait();
          } else {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
              throw new SocketTimeoutException("Read timed out");
            }
            wait(Math.max(1, left / 1_000_000));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException();
        }
      }
      if (closed || aborted) {
        throw new SocketException(closed ? "Socket closed" : "Connection reset");
      }
      if (chunks.isEmpty()) {
        return -1;
      }
      byte[] head = chunks.peek();
      int n = Math.min(len, head.length - headOffset);
      System.arraycopy(head, headOffset, b, off, n);
      headOffset += n;
      buffered -= n;
      if (headOffset == head.length) {
        chunks.poll();
        headOffset = 0;
      }
      notifyAll();
      return n;
    }

    private final class In extends InputStream {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        return End.this.read(b, off, len);
      }
    }

    private final class Out extends OutputStream {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        synchronized (End.this) {
          if (closed || aborted || outputShutdown) {
            throw new SocketException(outputShutdown ? "Socket output is shut down" : "Socket closed");
          }
        }
        if (len > 0) {
          peer.deliver(Arrays.copyOfRange(b, off, off + len));
        }
      }
    }

    @Override
    public InputStream getInputStream() {
      return in;
    }

    @Override
    public OutputStream getOutputStream() {
      return out;
    }

    @Override
    public void shutdownOutput() {
      synchronized (this) {
        if (outputShutdown || closed || aborted) {
          return;
        }
        outputShutdown = true;
      }
      peer.peerShutdown();
    }

    @Override
    public synchronized void shutdownInput() {
      inputShutdown = true;
      chunks.clear();
      buffered = 0;
      eof = true;
      notifyAll();
    }

    @Override
    public void close() {
      shutdownOutput();
      synchronized (this) {
        closed = true;
        notifyAll();
      }
    }

    @Override
    public void abort() {
      boolean first;
      synchronized (this) {
        first = !aborted && !closed;
        aborted = true;
        closed = true;
        if (status == null) {
          status = new RelayCloseStatus(1006, "aborted", false);
        }
        notifyAll();
      }
      if (first) {
        peer.peerAborted();
      }
    }

    @Override
    public synchronized void setReadTimeout(Duration timeout) {
      readTimeout = timeout;
    }

    @Override
    public synchronized Duration getReadTimeout() {
      return readTimeout;
    }

    @Override
    public synchronized boolean isClosed() {
      return closed;
    }

    @Override
    public synchronized boolean isInputShutdown() {
      return inputShutdown;
    }

    @Override
    public synchronized boolean isOutputShutdown() {
      return outputShutdown;
    }

    @Override
    public String trackingId() {
      return id;
    }

    @Override
    public InetSocketAddress remoteAddress() {
      return new InetSocketAddress("127.0.0.1", 1);
    }

    @Override
    public InetSocketAddress localAddress() {
      return new InetSocketAddress("127.0.0.1", 2);
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
    public synchronized Optional<RelayCloseStatus> closeStatus() {
      return Optional.ofNullable(status);
    }
  }
}
