package dev.hybridrelay.forward.internal;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The HTTP forwarder's client toward its target: plain HTTP/1.1 over blocking sockets, used on the
 * request's own thread (no hand-off to other threads), with idle keep-alive connections kept for
 * the next request. A request whose body is known (at most {@code replayable} bytes in memory) is
 * retried once on a fresh connection when a reused one turns out to be closed before any byte of
 * the answer arrived. Thread-safe.
 */
public final class TargetHttpClient implements Closeable {
  private static final int HEAD_LIMIT = 64 * 1024;
  private static final int IO_BUFFER = 64 * 1024;
  private static final long IDLE_NANOS = 30_000_000_000L;

  /** Connecting took longer than the connect timeout. */
  public static final class ConnectTimeoutException extends IOException {
    ConnectTimeoutException(String message) {
      super(message);
    }
  }

  /** The response head did not arrive within the request timeout. */
  public static final class HeadTimeoutException extends IOException {
    HeadTimeoutException(String message) {
      super(message);
    }
  }

  private final String host;
  private final int port;
  private final String authority;
  private final boolean https;
  private final SSLContext ssl;
  private final boolean verify;
  private final int connectMillis;
  private final int requestMillis;
  private final int maxIdle;
  private final ArrayDeque<Conn> idle = new ArrayDeque<>();
  private boolean closed;

  /**
   * @param target http or https URI (host and port used)
   * @param ssl the TLS context for https (null: the JDK default)
   * @param verify whether an https target's host name is verified
   */
  public TargetHttpClient(URI target, SSLContext ssl, boolean verify, Duration connectTimeout,
      Duration requestTimeout, int maxIdle) {
    this.https = target.getScheme().equalsIgnoreCase("https");
    this.host = target.getHost();
    this.port = target.getPort() >= 0 ? target.getPort() : https ? 443 : 80;
    this.authority = target.getRawAuthority();
    this.ssl = ssl;
    this.verify = verify;
    this.connectMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
    this.requestMillis = (int) Math.min(Integer.MAX_VALUE, requestTimeout.toMillis());
    this.maxIdle = maxIdle;
  }

  /** A response; its body must be read to the end or closed ({@link #close()} keeps a reusable connection). */
  public final class Response implements Closeable {
    private final int status;
    private final Map<String, List<String>> headers;
    private final Body body;

    Response(int status, Map<String, List<String>> headers, Body body) {
      this.status = status;
      this.headers = headers;
      this.body = body;
    }

    public int statusCode() {
      return status;
    }

    /** Names case-insensitive, in the target's spelling; repeated headers in order. */
    public Map<String, List<String>> headers() {
      return headers;
    }

    /** The body; closing it before its end drops the connection. */
    public InputStream body() {
      return body;
    }

    /** The body's length if the target said it, else -1. */
    public long contentLength() {
      return body.remaining >= 0 && !body.chunked ? body.remaining : -1;
    }

    @Override
    public void close() {
      body.close();
    }
  }

  /**
   * Sends one request and returns once the response head is in.
   *
   * @param target origin-form target ({@code /path?query}), already valid
   * @param headers name/value pairs (without Host, Content-Length, Transfer-Encoding)
   * @param known the whole body when it is in memory (null: {@code stream} is sent chunked)
   * @param stream the body to stream when {@code known} is null
   * @throws IllegalArgumentException for a method or header the request line cannot carry
   * @throws ConnectTimeoutException, HeadTimeoutException, ConnectException, IOException
   */
  public Response send(String method, String target, List<String[]> headers, byte[] known, InputStream stream)
      throws IOException {
    byte[] head = head(method, target, headers, known);
    while (true) {
      Conn c = known == null ? null : pooled();
      boolean reused = c != null;
      if (c == null) {
        c = connect();
      }
      try {
        c.socket.setSoTimeout(requestMillis);
        OutputStream out = c.out;
        if (known != null && known.length + head.length <= IO_BUFFER) {
          out.write(concat(head, known));
        } else {
          out.write(head);
          if (known != null) {
            out.write(known);
          } else {
            writeChunked(stream, out);
          }
        }
        out.flush();
        return read(c, method);
      } catch (StaleException e) {
        c.close();
        if (!reused) {
          throw new IOException("The target closed the connection without an answer");
        }
      } catch (SocketTimeoutException e) {
        c.close();
        throw new HeadTimeoutException("No response head within " + requestMillis + " ms");
      } catch (IOException | RuntimeException e) {
        c.close();
        if (!(reused && e instanceof java.net.SocketException)) {
          throw e;
        }
      }
    }
  }

  /**
   * The whole request as sent when its body is in memory: {@link #head} and the body.
   *
   * @throws IllegalArgumentException for a method, target or header the request line cannot carry
   */
  public byte[] message(String method, String target, List<String[]> headers, byte[] body) {
    return concat(head(method, target, headers, body), body);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /**
   * The request line and headers as sent ({@code Host}, {@code Content-Length} or chunked added).
   *
   * @throws IllegalArgumentException for a method, target or header the request line cannot carry
   */
  private byte[] head(String method, String target, List<String[]> headers, byte[] known) {
    StringBuilder sb = new StringBuilder(256);
    if (!token(method)) {
      throw new IllegalArgumentException("invalid method");
    }
    for (int i = 0; i < target.length(); i++) {
      char ch = target.charAt(i);
      if (ch <= 0x20 || ch >= 0x7F) {
        throw new IllegalArgumentException("invalid request target");
      }
    }
    sb.append(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ").append(authority).append("\r\n");
    for (String[] h : headers) {
      if (!token(h[0]) || !fieldValue(h[1])) {
        throw new IllegalArgumentException("invalid header " + (token(h[0]) ? h[0] : "name"));
      }
      sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
    }
    if (known == null) {
      sb.append("Transfer-Encoding: chunked\r\n");
    } else if (known.length > 0 || !(method.equals("GET") || method.equals("HEAD") || method.equals("DELETE")
        || method.equals("OPTIONS") || method.equals("TRACE"))) {
      sb.append("Content-Length: ").append(known.length).append("\r\n");
    }
    sb.append("\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static boolean token(String s) {
    if (s == null || s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= 0x20 || c >= 0x7F || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean fieldValue(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\n' || c == 0 || c > 0xFF) {
        return false;
      }
    }
    return true;
  }

  private static void writeChunked(InputStream in, OutputStream out) throws IOException {
    byte[] buf = new byte[IO_BUFFER];
    int n;
    while ((n = in.read(buf)) >= 0) {
      if (n == 0) {
        continue;
      }
      out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(buf, 0, n);
      out.write('\r');
      out.write('\n');
    }
    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
  }

  /** No byte of an answer arrived on the connection (a closed keep-alive connection). */
  private static final class StaleException extends IOException {
    StaleException() {
      super("stale connection", null);
    }
  }

  private Response read(Conn c, String method) throws IOException {
    while (true) {
      String status = c.line(true);
      if (status == null) {
        throw new StaleException();
      }
      int code = statusCode(status);
      boolean http10 = status.charAt(7) == '0';
      Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      int total = status.length();
      String last = null;
      while (true) {
        String line = c.line(false);
        if (line == null) {
          throw new EOFException("The target closed the connection in the response head");
        }
        if (line.isEmpty()) {
          break;
        }
        total += line.length();
        if (total > HEAD_LIMIT) {
          throw new IOException("The target's response head is larger than " + HEAD_LIMIT + " bytes");
        }
        last = addHeader(headers, last, line);
      }
      if (code >= 100 && code < 200) {
        if (code == 101) {
          throw new IOException("The target switched protocols");
        }
        continue; // interim answer
      }
      Response r = response(c, code, http10, headers, method, true);
      c.socket.setSoTimeout(0); // idle bodies are the forwarder's watchdog's business
      return r;
    }
  }

  /** The code of a status line. @throws IOException unless it is {@code HTTP/1.x NNN …} */
  static int statusCode(String line) throws IOException {
    if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
      throw new IOException("The target is not an HTTP/1.1 server");
    }
    try {
      return Integer.parseInt(line.substring(9, 12));
    } catch (NumberFormatException e) {
      throw new IOException("The target sent a malformed status line");
    }
  }

  /**
   * Adds one header line of a response head, or continues header {@code last} (obs-fold); returns
   * the name of the header it belongs to.
   */
  static String addHeader(Map<String, List<String>> headers, String last, String line) throws IOException {
    if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && last != null) {
      List<String> v = headers.get(last);
      v.set(v.size() - 1, v.get(v.size() - 1) + " " + line.trim());
      return last;
    }
    int colon = line.indexOf(':');
    if (colon <= 0) {
      throw new IOException("The target sent a malformed header line");
    }
    String name = line.substring(0, colon).trim();
    headers.computeIfAbsent(name, k -> new ArrayList<>(1)).add(line.substring(colon + 1).trim());
    return name;
  }

  /** {@link #bodyLength}: the body is chunked. */
  static final long CHUNKED = -2;
  /** {@link #bodyLength}: the body ends with the connection. */
  static final long UNTIL_EOF = -1;

  /** The body's framing: its length (0 for HEAD, 204, 304), {@link #CHUNKED} or {@link #UNTIL_EOF}. */
  static long bodyLength(String method, int code, Map<String, List<String>> headers) throws IOException {
    if (method.equals("HEAD") || code == 204 || code == 304) {
      return 0;
    }
    if (String.join(",", headers.getOrDefault("Transfer-Encoding", List.of())).toLowerCase(Locale.ROOT)
        .contains("chunked")) {
      return CHUNKED;
    }
    if (!headers.containsKey("Content-Length")) {
      return UNTIL_EOF;
    }
    long len;
    try {
      len = Long.parseLong(headers.get("Content-Length").get(0));
    } catch (NumberFormatException e) {
      throw new IOException("The target sent a malformed Content-Length");
    }
    if (len < 0) {
      throw new IOException("The target sent a malformed Content-Length");
    }
    return len;
  }

  /** Whether a connection stays open after a response with these headers. */
  static boolean reusable(boolean http10, Map<String, List<String>> headers) {
    String connection = String.join(",", headers.getOrDefault("Connection", List.of())).toLowerCase(Locale.ROOT);
    return http10 ? connection.contains("keep-alive") : !connection.contains("close");
  }

  private Response response(Conn c, int code, boolean http10, Map<String, List<String>> headers, String method,
      boolean poolable) throws IOException {
    boolean reusable = poolable && reusable(http10, headers);
    long length = bodyLength(method, code, headers);
    Body body = length == CHUNKED ? new Body(c, 0, true, reusable)
        : length == UNTIL_EOF ? new Body(c, -1, false, false) : new Body(c, length, false, reusable);
    return new Response(code, headers, body);
  }

  /**
   * A response whose head was read elsewhere (the non-blocking path), its body to be read on the
   * calling thread from a non-blocking channel: {@code rest[off..off+len)} are the bytes already
   * received after the head. The connection is closed at the body's end (never pooled).
   */
  public Response adopt(java.nio.channels.SocketChannel channel, byte[] rest, int off, int len, int status,
      boolean http10, Map<String, List<String>> headers, String method) throws IOException {
    ChannelInput in = new ChannelInput(channel); // closing it closes the channel and its selector
    Conn c = new Conn(in, in, rest, off, len);
    return response(c, status, http10, headers, method, false);
  }

  private Conn pooled() {
    long now = System.nanoTime();
    synchronized (idle) {
      Conn c;
      while ((c = idle.pollFirst()) != null) {
        if (now - c.idleSince < IDLE_NANOS && !c.socket.isClosed()) {
          return c;
        }
        c.close();
      }
    }
    return null;
  }

  private void release(Conn c) {
    c.idleSince = System.nanoTime();
    synchronized (idle) {
      if (!closed && idle.size() < maxIdle) {
        idle.addFirst(c);
        return;
      }
    }
    c.close();
  }

  private Conn connect() throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      InetSocketAddress a = new InetSocketAddress(host, port);
      if (a.isUnresolved()) {
        throw new ConnectException("unknown host");
      }
      try {
        s.connect(a, connectMillis);
      } catch (SocketTimeoutException e) {
        throw new ConnectTimeoutException("connect timeout");
      }
      if (https) {
        SSLContext ctx = ssl;
        if (ctx == null) {
          try {
            ctx = SSLContext.getDefault();
          } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException("No default TLS context", e);
          }
        }
        SSLSocket t = (SSLSocket) ctx.getSocketFactory().createSocket(s, host, port, true);
        if (verify) {
          SSLParameters p = t.getSSLParameters();
          p.setEndpointIdentificationAlgorithm("HTTPS");
          t.setSSLParameters(p);
        }
        t.setSoTimeout(connectMillis);
        t.startHandshake();
        return new Conn(t);
      }
      return new Conn(s);
    } catch (IOException | RuntimeException e) {
      try {
        s.close();
      } catch (IOException ignored) {
        // failing anyway
      }
      if (e instanceof UnknownHostException) {
        throw new ConnectException("unknown host");
      }
      throw e;
    }
  }

  /** Closes the idle connections; responses in progress continue. */
  @Override
  public void close() {
    synchronized (idle) {
      closed = true;
      idle.forEach(Conn::close);
      idle.clear();
    }
  }

  /** One connection to the target, with its own read buffer (lines of the head, then the body). */
  private static final class Conn {
    final Socket socket;
    final InputStream raw;
    final OutputStream out;
    private final Closeable closer;
    private final byte[] buf;
    private int pos;
    private int lim;
    long idleSince;

    Conn(Socket s) throws IOException {
      this.socket = s;
      this.raw = s.getInputStream();
      this.out = new java.io.BufferedOutputStream(s.getOutputStream(), 8192);
      this.closer = s;
      this.buf = new byte[16 * 1024];
    }

    /** A connection adopted with its first bytes already read; reads only. */
    Conn(InputStream raw, Closeable closer, byte[] first, int off, int len) {
      this.socket = null;
      this.raw = raw;
      this.out = null;
      this.closer = closer;
      this.buf = new byte[Math.max(16 * 1024, len)];
      System.arraycopy(first, off, buf, 0, len);
      this.lim = len;
    }

    private int fillBuffer() throws IOException {
      pos = 0;
      lim = 0;
      int n = raw.read(buf, 0, buf.length);
      if (n > 0) {
        lim = n;
      }
      return n;
    }

    /** A CRLF- (or LF-) terminated line in ISO-8859-1; null at EOF before its first byte. */
    String line(boolean first) throws IOException {
      StringBuilder sb = null;
      while (true) {
        for (int i = pos; i < lim; i++) {
          if (buf[i] == '\n') {
            int end = i;
            String part;
            if (sb == null) {
              part = new String(buf, pos, (end > pos && buf[end - 1] == '\r' ? end - 1 : end) - pos,
                  StandardCharsets.ISO_8859_1);
            } else {
              sb.append(new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1));
              int n = sb.length();
              if (n > 0 && sb.charAt(n - 1) == '\r') {
                sb.setLength(n - 1);
              }
              part = sb.toString();
            }
            pos = i + 1;
            return part;
          }
        }
        if (lim > pos) {
          if (sb == null) {
            sb = new StringBuilder(256);
          }
          sb.append(new String(buf, pos, lim - pos, StandardCharsets.ISO_8859_1));
          if (sb.length() > HEAD_LIMIT) {
            throw new IOException("The target's response head line is too long");
          }
        }
        int got;
        try {
          got = fillBuffer();
        } catch (java.net.SocketException e) {
          if (first && sb == null) {
            return null;
          }
          throw e;
        }
        if (got < 0) {
          if (sb == null) {
            return null;
          }
          throw new EOFException("The target closed the connection in the response head");
        }
      }
    }

    /** Body bytes: what the buffer holds, else straight from the socket. */
    int read(byte[] b, int off, int len) throws IOException {
      if (pos < lim) {
        int n = Math.min(len, lim - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
      }
      return raw.read(b, off, len);
    }

    int available() throws IOException {
      return lim - pos + raw.available();
    }

    void close() {
      try {
        closer.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }

  /** A response body: fixed length, chunked, or up to the connection's end. */
  private final class Body extends InputStream {
    private final Conn c;
    private final boolean chunked;
    private final boolean reusable;
    /** Fixed: bytes left; chunked: bytes left in the current chunk; -1: up to EOF. */
    private long remaining;
    private boolean started;
    private boolean eof;
    private boolean done;

    Body(Conn c, long length, boolean chunked, boolean reusable) {
      this.c = c;
      this.chunked = chunked;
      this.reusable = reusable;
      this.remaining = length;
      if (!chunked && length == 0) {
        eof = true;
        end(true);
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int available() throws IOException {
      if (eof || done) {
        return 0;
      }
      int a = c.available();
      return remaining < 0 ? a : (int) Math.min(a, remaining);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      java.util.Objects.checkFromIndexSize(off, len, b.length);
      if (eof) {
        return -1;
      }
      if (done) {
        throw new java.net.SocketException("The response body was closed");
      }
      if (len == 0) {
        return 0;
      }
      if (chunked && remaining == 0) {
        if (started) {
          String crlf = c.line(false);
          if (crlf == null || !crlf.isEmpty()) {
            throw new IOException("The target sent a malformed chunk");
          }
        }
        started = true;
        String size = c.line(false);
        if (size == null) {
          throw new EOFException("The target closed the connection in a chunked body");
        }
        int semi = size.indexOf(';');
        try {
          remaining = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
        } catch (NumberFormatException e) {
          throw new IOException("The target sent a malformed chunk size");
        }
        if (remaining == 0) {
          String trailer;
          do {
            trailer = c.line(false);
          } while (trailer != null && !trailer.isEmpty());
          eof = true;
          end(trailer != null);
          return -1;
        }
      }
      int want = remaining < 0 ? len : (int) Math.min(len, remaining);
      int n = c.read(b, off, want);
      if (n < 0) {
        if (remaining < 0) {
          eof = true;
          end(false);
          return -1;
        }
        throw new EOFException("The target closed the connection before the end of the body");
      }
      if (remaining > 0) {
        remaining -= n;
        if (remaining == 0 && !chunked) {
          eof = true;
          end(true);
        }
      }
      return n;
    }

    private void end(boolean complete) {
      if (done) {
        return;
      }
      done = true;
      if (complete && reusable) {
        release(c);
      } else {
        c.close();
      }
    }

    @Override
    public void close() {
      if (!done) {
        done = true;
        c.close();
      }
    }
  }
}
