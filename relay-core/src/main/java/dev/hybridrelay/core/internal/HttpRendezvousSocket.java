package dev.hybridrelay.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * The listener's end of one HTTP request's rendezvous socket ({@code sb-hc-action=request}): receives
 * the request message and streams its body (fragments are never assembled; reading pauses while
 * more than {@value #WINDOW} bytes wait for the handler), and sends the response message and its
 * body as one fragmented binary message, blocking while more than {@value #WINDOW} bytes are queued.
 * The receive side is fed on the I/O loop thread; the send side and {@link #body()} are used by the
 * handler's thread.
 */
final class HttpRendezvousSocket implements RelayWebSocket.Handler, RelayWebSocket.SendProgressListener {
  static final int WINDOW = 1 << 20;
  private static final int MAX_FRAME = 16 << 20;
  private static final long CLOSE_WAIT_MILLIS = 5_000;

  private final RelayWebSocket ws;
  private final Object lock = new Object();
  private ControlMessages.Request request;
  private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
  private long buffered;
  private boolean bodyEnded;
  private boolean paused;
  private IOException failure;
  private boolean terminated;
  private boolean messageOpen;
  private boolean discard;

  HttpRendezvousSocket(URI address, int connectTimeoutMillis, String trackingId) {
    this.ws = new RelayWebSocket("http-rendezvous", address, Map.of(), List.of(), MAX_FRAME,
        connectTimeoutMillis, trackingId);
    ws.setHandler(this);
    ws.streamBinaryFragments();
  }

  void open(SSLContext ssl, ProxyConfig proxy, long timeoutMillis) throws IOException {
    ws.open(ssl, proxy, timeoutMillis);
  }

  String safeUri() {
    return ws.safeUri();
  }

  /** Waits for the relay's {@code request} message (rendezvous-only form). */
  ControlMessages.Request awaitRequest(long timeoutMillis) throws IOException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    synchronized (lock) {
      while (request == null) {
        if (failure != null || terminated) {
          throw new SocketException("The relay closed the request's rendezvous connection before "
              + "sending the request");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new SocketTimeoutException("The relay sent no request on the rendezvous connection");
        }
        wait(lock, left);
      }
      return request;
    }
  }

  /** The request body as it streams in. */
  InputStream body() {
    return new InputStream() {
      private byte[] current;
      private int pos;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
          return 0;
        }
        if (current == null || pos >= current.length) {
          current = next();
          pos = 0;
          if (current == null) {
            return -1;
          }
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
      }
    };
  }

  private byte[] next() throws IOException {
    synchronized (lock) {
      while (chunks.isEmpty()) {
        if (bodyEnded) {
          return null;
        }
        if (failure != null) {
          throw new SocketException(failure.getMessage());
        }
        if (terminated) {
          throw new SocketException("Connection reset: the request body was cut off");
        }
        wait(lock, Long.MAX_VALUE);
      }
      byte[] c = chunks.poll();
      buffered -= c.length;
      if (paused && buffered <= WINDOW / 2) {
        paused = false;
        ws.touch();
        ws.resumeReading();
      }
      return c;
    }
  }

  private static void wait(Object lock, long nanos) throws InterruptedIOException {
    try {
      if (nanos == Long.MAX_VALUE) {
        lock.wait();
      } else {
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(lock, nanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("Interrupted");
    }
  }

  // ---- sending (handler thread) ----

  /** Sends a text message of well-formed UTF-8 (the response message). */
  void sendText(byte[] utf8) throws IOException {
    if (!ws.sendTextUtf8(utf8)) {
      throw new SocketException("Connection reset: the request's rendezvous connection is closed");
    }
  }

  /** One fragment of the response body message; blocks while more than the window is queued. */
  void sendFragment(byte[] b, int off, int len, boolean fin) throws IOException {
    synchronized (lock) {
      while (ws.queuedBytes() > WINDOW) {
        if (terminated || failure != null) {
          throw new SocketException("Connection reset: the request's rendezvous connection is closed");
        }
        wait(lock, 50_000_000L);
      }
    }
    messageOpen = !fin;
    if (!ws.sendBinaryFragment(ByteBuffer.wrap(b, off, len), fin)) {
      throw new SocketException("Connection reset: the request's rendezvous connection is closed");
    }
  }

  /** Ends cleanly: Close 1000 after everything sent, then waits (bounded) for the relay's Close. */
  void finish() {
    synchronized (lock) {
      // an unread rest of the request body is discarded, so that the relay's Close can arrive
      discard = true;
      chunks.clear();
      buffered = 0;
      if (paused) {
        paused = false;
        ws.resumeReading();
      }
    }
    if (!ws.hasPeerClosed()) {
      ws.sendClose(1000, "Normal Closure");
    }
    try {
      if (!ws.awaitClosed(CLOSE_WAIT_MILLIS)) {
        ws.abort();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ws.abort();
    }
  }

  void abort() {
    ws.abort();
  }

  boolean hasOpenMessage() {
    return messageOpen;
  }

  // ---- RelayWebSocket.Handler (I/O loop) ----

  @Override
  public void onText(String text) {
    ControlMessages.Request r;
    try {
      r = ControlMessages.parse(text).request;
    } catch (IOException | RuntimeException e) {
      r = null;
    }
    synchronized (lock) {
      if (r != null && request == null) {
        request = r;
        lock.notifyAll();
      }
    }
  }

  @Override
  public void onBinary(ByteBuffer data) {
    onBinaryFragment(data, true);
  }

  @Override
  public void onBinaryFragment(ByteBuffer data, boolean fin) {
    byte[] copy = new byte[data.remaining()];
    data.get(copy);
    BufferPool.PAYLOADS.release(data);
    synchronized (lock) {
      if (discard) {
        return;
      }
      if (copy.length > 0) {
        chunks.add(copy);
        buffered += copy.length;
      }
      if (fin) {
        bodyEnded = true;
      }
      if (buffered > WINDOW && !paused) {
        paused = true;
        ws.pauseReading();
      }
      lock.notifyAll();
    }
  }

  @Override
  public void onPeerClose(int code, String reason) {
    synchronized (lock) {
      if (!bodyEnded && failure == null) {
        failure = new SocketException("The relay closed the request's connection (code " + code + ")");
      }
      lock.notifyAll();
    }
    ws.closeNow(code, reason);
  }

  @Override
  public void onClosed(int code, String reason, boolean remote) {
    synchronized (lock) {
      terminated = true;
      lock.notifyAll();
    }
  }

  @Override
  public void onSendProgress() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }
}
