package dev.hybridrelay.forward.internal;

import dev.hybridrelay.core.internal.IoLoop;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP forwarder's non-blocking client toward a plain-HTTP target, for requests whose body is
 * in memory: it runs on the listener's I/O loop (no request thread, no blocking call), writes the
 * request, reads the response head and, when the body is small and of known length (or chunked and
 * small, or ends with the connection within the limit), the whole body, then calls back on the loop.
 * A larger body is handed over as a {@link TargetHttpClient.Response} to be streamed on a request
 * thread. Idle keep-alive connections are kept per loop (touched only on that loop's thread) for
 * 30 s, at most {@code maxIdle} per loop. A reused connection found closed before any byte of the
 * answer is retried once on a new one, as the blocking client does. Timeouts are checked by
 * {@link #checkTimeouts()}, which the forwarder's watchdog calls.
 */
public final class AsyncTargetClient implements Closeable {
  private static final int HEAD_LIMIT = 64 * 1024;
  private static final long IDLE_NANOS = 30_000_000_000L;

  /** The outcome of one request; all methods are called on the loop thread, exactly one of them once. */
  public interface Callback {
    /** The whole response: {@code body[0..length)}. */
    void complete(int status, Map<String, List<String>> headers, byte[] body, int length);

    /** The body is larger than the limit or of unknown length: stream it on another thread. */
    void stream(TargetHttpClient.Response response);

    /**
     * No response: {@link ConnectException} (unreachable), {@link TargetHttpClient.ConnectTimeoutException},
     * {@link TargetHttpClient.HeadTimeoutException}, or another {@link IOException} (not HTTP, broken).
     * {@code bodyStarted}: the head had arrived (an idle or broken body, not a missing answer).
     */
    void failed(IOException e, boolean bodyStarted);
  }

  private final InetSocketAddress address;
  private final TargetHttpClient blocking;
  private final long connectNanos;
  private final long requestNanos;
  private final int maxIdle;
  private final int bodyLimit;
  private final Map<IoLoop, ArrayDeque<Conn>> idle = new ConcurrentHashMap<>();
  private final Set<Conn> busy = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * @param address the target, resolved
   * @param blocking the blocking client whose body parsing streams the large answers
   * @param bodyLimit the largest body answered whole (larger ones are streamed)
   */
  public AsyncTargetClient(InetSocketAddress address, TargetHttpClient blocking, java.time.Duration connectTimeout,
      java.time.Duration requestTimeout, int maxIdle, int bodyLimit) {
    this.address = address;
    this.blocking = blocking;
    this.connectNanos = connectTimeout.toNanos();
    this.requestNanos = requestTimeout.toNanos();
    this.maxIdle = maxIdle;
    this.bodyLimit = bodyLimit;
  }

  /**
   * Sends {@code request} (head and body, as written) on a pooled or new connection; on {@code loop}'s
   * thread only. The callback is called later on the same thread, never from within this call.
   */
  public void send(IoLoop loop, byte[] request, String method, Callback cb) {
    Conn c = pooled(loop);
    boolean reused = c != null;
    Exchange x = new Exchange(request, method, cb, reused);
    if (c == null) {
      c = new Conn(loop);
    }
    Conn first = c;
    loop.executeLater(() -> first.start(x));
  }

  /** Called periodically from any thread: ends connects and heads that took too long. */
  public void checkTimeouts() {
    long now = System.nanoTime();
    for (Conn c : busy) {
      if (c.deadline != 0 && now - c.deadline > 0) {
        c.loop.execute(c::timeout);
      }
    }
  }

  private Conn pooled(IoLoop loop) {
    ArrayDeque<Conn> q = idle.get(loop);
    if (q == null) {
      return null;
    }
    long now = System.nanoTime();
    Conn c;
    while ((c = q.pollFirst()) != null) {
      if (now - c.idleSince < IDLE_NANOS && c.ch.isOpen()) {
        return c;
      }
      c.close();
    }
    return null;
  }

  private void release(Conn c) {
    if (closed) {
      c.close();
      return;
    }
    ArrayDeque<Conn> q = idle.computeIfAbsent(c.loop, l -> new ArrayDeque<>());
    if (q.size() >= maxIdle) {
      c.close();
      return;
    }
    c.idleSince = System.nanoTime();
    c.loop.interestAnd(c.key, SelectionKey.OP_WRITE);
    q.addFirst(c); // reading stays on: a target that closes an idle connection is noticed
  }

  /** Closes the idle connections; requests in progress finish. */
  @Override
  public void close() {
    closed = true;
    for (Map.Entry<IoLoop, ArrayDeque<Conn>> e : idle.entrySet()) {
      ArrayDeque<Conn> q = e.getValue();
      e.getKey().execute(() -> {
        Conn c;
        while ((c = q.pollFirst()) != null) {
          c.close();
        }
      });
    }
  }

  /** One request and its answer. */
  private static final class Exchange {
    final byte[] request;
    final String method;
    final Callback cb;
    boolean reused;

    Exchange(byte[] request, String method, Callback cb, boolean reused) {
      this.request = request;
      this.method = method;
      this.cb = cb;
      this.reused = reused;
    }
  }

  /** One connection to the target; state touched on its loop's thread only. */
  private final class Conn implements IoLoop.Handler {
    final IoLoop loop;
    SocketChannel ch;
    SelectionKey key;
    Exchange x;
    ByteBuffer out;
    boolean connecting;
    /** The response so far: acc[0..len). */
    byte[] acc = new byte[4096];
    int len;
    /** Set while connecting or waiting for the head (and while a body moves): nanoTime limit; 0 when none. */
    volatile long deadline;
    long idleSince;
    // parsed head
    int headEnd = -1;
    int status;
    boolean http10;
    Map<String, List<String>> headers;
    /** {@link TargetHttpClient#bodyLength}: a length, CHUNKED or UNTIL_EOF. */
    long bodyLength;

    Conn(IoLoop loop) {
      this.loop = loop;
    }

    void start(Exchange ex) {
      x = ex;
      busy.add(this);
      headEnd = -1;
      len = 0;
      out = ByteBuffer.wrap(ex.request);
      try {
        if (ch == null) {
          ch = SocketChannel.open();
          ch.configureBlocking(false);
          ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
          deadline = deadlineIn(connectNanos);
          connecting = !ch.connect(address);
          key = loop.register(ch, connecting ? SelectionKey.OP_CONNECT : SelectionKey.OP_READ, this);
          if (connecting) {
            return;
          }
        }
        write();
      } catch (IOException e) {
        fail(connecting || key == null ? unreachable(e) : e);
      }
    }

    private IOException unreachable(IOException e) {
      if (e instanceof ConnectException) {
        return e;
      }
      ConnectException c = new ConnectException(e.getMessage() == null ? "Connection refused" : e.getMessage());
      c.initCause(e);
      return c;
    }

    private void write() throws IOException {
      ch.write(out);
      deadline = deadlineIn(requestNanos);
      if (out.hasRemaining()) {
        loop.interestOr(key, SelectionKey.OP_WRITE | SelectionKey.OP_READ);
      } else {
        loop.interestAnd(key, SelectionKey.OP_WRITE);
        loop.interestOr(key, SelectionKey.OP_READ);
      }
    }

    @Override
    public void ready(SelectionKey k, int ops) {
      try {
        if ((ops & SelectionKey.OP_CONNECT) != 0) {
          try {
            if (!ch.finishConnect()) {
              return;
            }
          } catch (IOException e) {
            fail(unreachable(e));
            return;
          }
          connecting = false;
          loop.interestAnd(k, SelectionKey.OP_CONNECT);
          write();
          return;
        }
        if ((ops & SelectionKey.OP_WRITE) != 0 && x != null && out.hasRemaining()) {
          write();
        }
        if ((ops & SelectionKey.OP_READ) != 0) {
          read();
        }
      } catch (IOException e) {
        fail(e);
      }
    }

    private void read() throws IOException {
      ByteBuffer b = loop.readBuffer();
      while (true) {
        b.clear();
        int n;
        try {
          n = ch.read(b);
        } catch (IOException e) {
          if (x == null) {
            close(); // an idle connection broke
            return;
          }
          throw e;
        }
        if (n == 0) {
          return;
        }
        if (x == null) {
          close(); // bytes or EOF on an idle connection: not reusable
          return;
        }
        if (n < 0) {
          eof();
          return;
        }
        b.flip();
        if (len + n > acc.length) {
          acc = java.util.Arrays.copyOf(acc, Math.max(len + n, Math.min(HEAD_LIMIT + bodyLimit, acc.length * 2)));
        }
        b.get(acc, len, n);
        len += n;
        if (headEnd >= 0) {
          deadline = deadlineIn(requestNanos); // body bytes moving
        }
        if (parse()) {
          return;
        }
      }
    }

    /** True once the exchange ended (answered, handed over or failed). */
    private boolean parse() throws IOException {
      while (headEnd < 0) {
        int end = headEnd(acc, len);
        if (end < 0) {
          if (len > HEAD_LIMIT) {
            throw new IOException("The target's response head is larger than " + HEAD_LIMIT + " bytes");
          }
          return false;
        }
        parseHead(end);
        if (status >= 100 && status < 200) {
          if (status == 101) {
            throw new IOException("The target switched protocols");
          }
          System.arraycopy(acc, end, acc, 0, len - end); // interim answer: drop it
          len -= end;
          continue;
        }
        headEnd = end;
        bodyLength = TargetHttpClient.bodyLength(x.method, status, headers);
        if (bodyLength > bodyLimit) {
          handOver();
          return true;
        }
      }
      int have = len - headEnd;
      if (bodyLength >= 0) {
        if (have < bodyLength) {
          return false;
        }
        boolean reusable = have == bodyLength && TargetHttpClient.reusable(http10, headers);
        byte[] body = java.util.Arrays.copyOfRange(acc, headEnd, headEnd + (int) bodyLength);
        Exchange ex = x;
        done(reusable);
        ex.cb.complete(status, headers, body, body.length);
        return true;
      }
      if (bodyLength == TargetHttpClient.CHUNKED) {
        Decoded d = dechunk(acc, headEnd, len, bodyLimit);
        if (d == TOO_LONG || (d == null && have > 4 * bodyLimit)) {
          handOver();
          return true;
        }
        if (d == null) {
          return false;
        }
        boolean reusable = d.end == len && TargetHttpClient.reusable(http10, headers);
        Exchange ex = x;
        done(reusable);
        ex.cb.complete(status, headers, d.body, d.length);
        return true;
      }
      if (have > bodyLimit) {
        handOver();
        return true;
      }
      return false; // up to EOF
    }

    /** The exchange ends here; the connection goes back to the pool or is closed. */
    private void done(boolean reusable) {
      reusable &= !out.hasRemaining(); // an answer before the whole request was written: not reusable
      x = null;
      deadline = 0;
      busy.remove(this);
      if (reusable) {
        headEnd = -1;
        len = 0;
        if (acc.length > 16 * 1024) {
          acc = new byte[4096];
        }
        release(this);
      } else {
        close();
      }
    }

    private void eof() throws IOException {
      if (headEnd >= 0 && bodyLength == TargetHttpClient.UNTIL_EOF) {
        byte[] body = java.util.Arrays.copyOfRange(acc, headEnd, len);
        Exchange ex = x;
        done(false);
        ex.cb.complete(status, headers, body, body.length);
        return;
      }
      if (len == 0 && x.reused) {
        retry();
        return;
      }
      throw headEnd >= 0 ? new EOFException("The target closed the connection before the end of the body")
          : len == 0 ? new IOException("The target closed the connection without an answer")
          : new EOFException("The target closed the connection in the response head");
    }

    /** A reused connection was closed by the target before answering: once more on a new one. */
    private void retry() {
      Exchange ex = x;
      x = null;
      deadline = 0;
      busy.remove(this);
      close();
      ex.reused = false;
      Conn fresh = new Conn(loop);
      fresh.start(ex);
    }

    /** The body goes on as a stream read on another thread; this connection leaves the loop. */
    private void handOver() throws IOException {
      Exchange ex = x;
      x = null;
      deadline = 0;
      busy.remove(this);
      key.cancel();
      TargetHttpClient.Response r = blocking.adopt(ch, acc, headEnd, len - headEnd, status, http10, headers,
          ex.method);
      ex.cb.stream(r);
    }

    void timeout() {
      long d = deadline;
      if (x == null || d == 0 || System.nanoTime() - d < 0) {
        return;
      }
      IOException e = connecting ? new TargetHttpClient.ConnectTimeoutException("connect timeout")
          : headEnd < 0 ? new TargetHttpClient.HeadTimeoutException("No response head in time")
          : new java.net.SocketTimeoutException("The response body stopped moving");
      fail(e);
    }

    private void fail(IOException e) {
      Exchange ex = x;
      if (ex == null) {
        close();
        return;
      }
      if (ex.reused && len == 0 && !connecting && !(e instanceof TargetHttpClient.HeadTimeoutException)) {
        retry();
        return;
      }
      boolean bodyStarted = headEnd >= 0;
      x = null;
      deadline = 0;
      busy.remove(this);
      close();
      ex.cb.failed(e, bodyStarted);
    }

    void close() {
      if (key != null) {
        key.cancel();
      }
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // nothing more to do
        }
      }
    }

    private void parseHead(int end) throws IOException {
      int lineEnd = lineEnd(acc, 0, end);
      String statusLine = new String(acc, 0, trimCr(acc, 0, lineEnd), StandardCharsets.ISO_8859_1);
      status = TargetHttpClient.statusCode(statusLine);
      http10 = statusLine.charAt(7) == '0';
      headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      String last = null;
      int p = lineEnd + 1;
      while (p < end) {
        int e = lineEnd(acc, p, end);
        String line = new String(acc, p, trimCr(acc, p, e) - p, StandardCharsets.ISO_8859_1);
        p = e + 1;
        if (line.isEmpty()) {
          break;
        }
        last = TargetHttpClient.addHeader(headers, last, line);
      }
    }
  }

  private static long deadlineIn(long nanos) {
    long d = System.nanoTime() + nanos;
    return d == 0 ? 1 : d;
  }

  /** Index just past the blank line that ends the head in {@code a[0..len)}, or -1. */
  static int headEnd(byte[] a, int len) {
    for (int i = 0; i < len; i++) {
      if (a[i] == '\n') {
        if (i + 1 < len && a[i + 1] == '\n') {
          return i + 2;
        }
        if (i + 2 < len && a[i + 1] == '\r' && a[i + 2] == '\n') {
          return i + 3;
        }
      }
    }
    return -1;
  }

  private static int lineEnd(byte[] a, int from, int end) {
    for (int i = from; i < end; i++) {
      if (a[i] == '\n') {
        return i;
      }
    }
    return end;
  }

  private static int trimCr(byte[] a, int from, int lineEnd) {
    return lineEnd > from && a[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
  }

  static final Decoded TOO_LONG = new Decoded(new byte[0], 0, 0);

  /**
   * Decodes a complete chunked body in {@code a[from..to)}: the body and where its encoding ended,
   * null if incomplete, {@link #TOO_LONG} if the body exceeds {@code limit}.
   *
   * @throws IOException if malformed
   */
  static Decoded dechunk(byte[] a, int from, int to, int limit) throws IOException {
    byte[] body = new byte[Math.min(limit, Math.max(0, to - from))];
    int n = 0;
    int p = from;
    while (true) {
      int e = lineEnd(a, p, to);
      if (e >= to) {
        return null;
      }
      String size = new String(a, p, trimCr(a, p, e) - p, StandardCharsets.ISO_8859_1);
      int semi = size.indexOf(';');
      long chunk;
      try {
        chunk = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
      } catch (NumberFormatException ex) {
        throw new IOException("The target sent a malformed chunk size");
      }
      if (chunk < 0) {
        throw new IOException("The target sent a malformed chunk size");
      }
      p = e + 1;
      if (chunk == 0) {
        while (true) { // trailers up to the blank line
          int t = lineEnd(a, p, to);
          if (t >= to) {
            return null;
          }
          boolean blank = trimCr(a, p, t) == p;
          p = t + 1;
          if (blank) {
            return new Decoded(body, n, p);
          }
        }
      }
      if (n + chunk > limit) {
        return TOO_LONG;
      }
      if (p + chunk + 1 > to) {
        return null;
      }
      System.arraycopy(a, p, body, n, (int) chunk);
      n += (int) chunk;
      p += (int) chunk;
      int crlf = lineEnd(a, p, to);
      if (crlf >= to) {
        return null;
      }
      if (trimCr(a, p, crlf) != p) {
        throw new IOException("The target sent a malformed chunk");
      }
      p = crlf + 1;
    }
  }

  /** A decoded chunked body: {@code body[0..length)}, its encoding ended at {@code end}. */
  static final class Decoded {
    final byte[] body;
    final int length;
    final int end;

    Decoded(byte[] body, int length, int end) {
      this.body = body;
      this.length = length;
      this.end = end;
    }
  }
}
