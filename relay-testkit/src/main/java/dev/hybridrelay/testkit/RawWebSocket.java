package dev.hybridrelay.testkit;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately unforgiving WebSocket client on a raw {@link Socket}, for sending what a normal
 * client never would: frame headers that declare 2^31−2 or 2^63−1 payload bytes, endless
 * continuation frames, unmasked client frames, reserved opcodes and RSV bits, compression
 * offers, handshakes dribbled a byte at a time or never terminated.
 *
 * <pre>{@code
 * try (RawWebSocket ws = RawWebSocket.connect("127.0.0.1", port, Duration.ofSeconds(5))) {
 *   RawWebSocket.HandshakeResponse r = ws.handshake("/$hc/echo?sb-hc-action=connect&sb-hc-token=…",
 *       Map.of());
 *   ws.sendFrameHeader(true, RawWebSocket.OP_BINARY, true, (1L << 31) - 2);
 *   RawWebSocket.CloseResult c = ws.awaitClose(Duration.ofSeconds(1));
 * }
 * }</pre>
 *
 * <p>Not thread-safe; one test thread drives one instance.
 */
public final class RawWebSocket implements Closeable {

  /** Continuation frame. */
  public static final int OP_CONTINUATION = 0x0;
  /** Text frame. */
  public static final int OP_TEXT = 0x1;
  /** Binary frame. */
  public static final int OP_BINARY = 0x2;
  /** Close frame. */
  public static final int OP_CLOSE = 0x8;
  /** Ping frame. */
  public static final int OP_PING = 0x9;
  /** Pong frame. */
  public static final int OP_PONG = 0xA;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final String hostHeader;

  private RawWebSocket(Socket socket, String hostHeader) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.hostHeader = hostHeader;
  }

  /** Opens a TCP connection (TCP_NODELAY on) to {@code host:port}. */
  public static RawWebSocket connect(String host, int port, Duration timeout) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
    return new RawWebSocket(s, host + ":" + port);
  }

  /**
   * Opens a TCP connection (TCP_NODELAY on) to {@code host:port} from {@code localAddress} (for
   * example {@code 127.0.0.2}, to appear as another client of a per-address limit).
   */
  public static RawWebSocket connect(String host, int port, java.net.InetAddress localAddress,
      Duration timeout) throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.bind(new InetSocketAddress(localAddress, 0));
      s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
    } catch (IOException e) {
      s.close();
      throw e;
    }
    return new RawWebSocket(s, host + ":" + port);
  }

  /**
   * Opens a TCP connection (TCP_NODELAY on) to {@code host:port} and runs the TLS handshake over it
   * with {@code tls} (host name verified), for {@code wss} peers.
   */
  public static RawWebSocket connectTls(String host, int port, javax.net.ssl.SSLContext tls,
      Duration timeout) throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      javax.net.ssl.SSLSocket ssl = (javax.net.ssl.SSLSocket) tls.getSocketFactory()
          .createSocket(s, host, port, true);
      javax.net.ssl.SSLParameters params = ssl.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      ssl.setSSLParameters(params);
      ssl.setSoTimeout((int) timeout.toMillis());
      ssl.startHandshake();
      return new RawWebSocket(ssl, host + ":" + port);
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Opens a connection to the host and port of a {@code ws://} or {@code wss://} URI ({@code tls}
   * is used for {@code wss} only).
   */
  public static RawWebSocket connect(java.net.URI uri, javax.net.ssl.SSLContext tls, Duration timeout)
      throws IOException {
    boolean secure = "wss".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() >= 0 ? uri.getPort() : secure ? 443 : 80;
    return secure ? connectTls(uri.getHost(), port, tls, timeout) : connect(uri.getHost(), port, timeout);
  }

  /**
   * Sends a Close frame and then shuts down the output (TCP FIN; over TLS {@code close_notify},
   * then FIN), without waiting for the peer's Close, as Jetty's WebSocket client does.
   */
  public void sendCloseAndShutdownOutput(int code, String reason) throws IOException {
    sendClose(code, reason);
    socket.shutdownOutput();
  }

  /** The underlying socket. */
  public Socket socket() {
    return socket;
  }

  // ------------------------------------------------------------------------------------------
  // Handshake

  /** Status line and headers of the server's handshake response. */
  public static final class HandshakeResponse {
    private final int status;
    private final String statusLine;
    private final Map<String, String> headers;

    HandshakeResponse(int status, String statusLine, Map<String, String> headers) {
      this.status = status;
      this.statusLine = statusLine;
      this.headers = headers;
    }

    /** HTTP status code (101 on success). */
    public int status() {
      return status;
    }

    /** The raw status line. */
    public String statusLine() {
      return statusLine;
    }

    /** Response headers, names lower-cased. */
    public Map<String, String> headers() {
      return headers;
    }

    /** A header by (case-insensitive) name, or null. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
      return statusLine + " " + headers.keySet();
    }
  }

  /**
   * Builds a WebSocket upgrade request for {@code pathAndQuery} (which must already be
   * percent-encoded) with the standard headers plus {@code extraHeaders}.
   */
  public String upgradeRequest(String pathAndQuery, Map<String, String> extraHeaders) {
    StringBuilder sb = new StringBuilder();
    sb.append("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n");
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Host", hostHeader);
    h.put("Upgrade", "websocket");
    h.put("Connection", "Upgrade");
    h.put("Sec-WebSocket-Key", newKey());
    h.put("Sec-WebSocket-Version", "13");
    if (extraHeaders != null) {
      h.putAll(extraHeaders);
    }
    for (Map.Entry<String, String> e : h.entrySet()) {
      if (e.getValue() != null) {
        sb.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
      }
    }
    sb.append("\r\n");
    return sb.toString();
  }

  /** Sends an upgrade request and reads the response headers (up to 64 KiB). */
  public HandshakeResponse handshake(String pathAndQuery, Map<String, String> extraHeaders)
      throws IOException {
    sendRaw(upgradeRequest(pathAndQuery, extraHeaders).getBytes(StandardCharsets.ISO_8859_1));
    return readHandshakeResponse();
  }

  /** Reads an HTTP response head (status line and headers) from the socket. */
  public HandshakeResponse readHandshakeResponse() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during handshake response after "
            + head.size() + " bytes: " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
      if (head.size() > 64 * 1024) {
        throw new IOException("handshake response head larger than 64 KiB");
      }
      state = (b == '\r' && (state == 0 || state == 2)) ? state + 1
          : (b == '\n' && (state == 1 || state == 3)) ? state + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String statusLine = lines[0];
    int status;
    try {
      status = Integer.parseInt(statusLine.split(" ", 3)[1]);
    } catch (RuntimeException e) {
      throw new IOException("bad status line: " + statusLine);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      if (c > 0) {
        headers.merge(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(c + 1).trim(), (a, b) -> a + ", " + b);
      }
    }
    return new HandshakeResponse(status, statusLine, headers);
  }

  /**
   * Sends {@code bytes} one byte at a time, pausing {@code interval} between bytes (slowloris).
   * Stops early and returns the number of bytes sent if the peer closes the connection.
   */
  public int sendSlowly(byte[] bytes, Duration interval) throws InterruptedException {
    for (int i = 0; i < bytes.length; i++) {
      try {
        out.write(bytes[i]);
        out.flush();
      } catch (IOException e) {
        return i;
      }
      Thread.sleep(interval.toMillis());
    }
    return bytes.length;
  }

  /**
   * Streams endless header lines ({@code X-Pad-n: aaaa…}) without ever sending the blank line
   * that ends the request, at most {@code maxBytes} bytes, at roughly {@code bytesPerSecond}
   * (0 = as fast as possible). Returns the number of bytes the peer accepted before it closed or
   * reset the connection, or {@code maxBytes} if it never did.
   */
  public long sendUnterminatedHeaders(String pathAndQuery, long maxBytes, long bytesPerSecond)
      throws InterruptedException {
    long sent = 0;
    long start = System.nanoTime();
    try {
      byte[] line = ("GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n")
          .getBytes(StandardCharsets.ISO_8859_1);
      out.write(line);
      sent += line.length;
      int i = 0;
      byte[] pad = ("X-Pad-%d: " + "a".repeat(1000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
      while (sent < maxBytes) {
        byte[] l = ("X-Pad-" + (i++) + ": ").getBytes(StandardCharsets.US_ASCII);
        out.write(l);
        out.write(pad, 9, pad.length - 9);
        out.flush();
        sent += l.length + pad.length - 9;
        if (bytesPerSecond > 0) {
          long due = start + (long) (sent * 1e9 / bytesPerSecond);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
        }
      }
    } catch (IOException e) {
      return sent;
    }
    return sent;
  }

  // ------------------------------------------------------------------------------------------
  // Frames

  /** Sends raw bytes. */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /**
   * Sends a complete frame. {@code masked} should be true for a well-behaved client; set it false
   * to test the server's rejection of unmasked client frames.
   */
  public void sendFrame(boolean fin, int opcode, boolean masked, byte[] payload)
      throws IOException {
    sendFrame(fin, 0, opcode, masked, payload);
  }

  /** Sends a complete frame with the given RSV bits (0..7). */
  public void sendFrame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload)
      throws IOException {
    byte[] mask = masked ? newMask() : null;
    byte[] header = frameHeader(fin, rsv, opcode, mask, payload.length);
    // one write: a peer that rejects the header (RSV bits, opcode) and closes at once must not
    // turn the payload write into a broken pipe
    byte[] frame = new byte[header.length + payload.length];
    System.arraycopy(header, 0, frame, 0, header.length);
    for (int i = 0; i < payload.length; i++) {
      frame[header.length + i] = mask != null ? (byte) (payload[i] ^ mask[i & 3]) : payload[i];
    }
    out.write(frame);
    out.flush();
  }

  /**
   * Sends only a frame header declaring {@code declaredLength} payload bytes (e.g. 2^31−2 or
   * 2^63−1) — no payload follows unless the caller sends it.
   */
  public void sendFrameHeader(boolean fin, int opcode, boolean masked, long declaredLength)
      throws IOException {
    out.write(frameHeader(fin, 0, opcode, masked ? newMask() : null, declaredLength));
    out.flush();
  }

  /** Sends a (masked) Close frame with {@code code} and {@code reason}. */
  public void sendClose(int code, String reason) throws IOException {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] p = new byte[2 + r.length];
    p[0] = (byte) (code >> 8);
    p[1] = (byte) code;
    System.arraycopy(r, 0, p, 2, r.length);
    sendFrame(true, OP_CLOSE, true, p);
  }

  /**
   * Sends one non-FIN binary frame of {@code frameSize} bytes followed by up to {@code count}
   * CONTINUATION frames of {@code frameSize} bytes, never FIN. Returns the number of frames
   * written before the peer closed or reset the connection.
   */
  public int sendContinuationFlood(int frameSize, int count) {
    byte[] payload = new byte[frameSize];
    int sent = 0;
    try {
      sendFrame(false, OP_BINARY, true, payload);
      sent++;
      for (int i = 0; i < count; i++) {
        sendFrame(false, OP_CONTINUATION, true, payload);
        sent++;
      }
    } catch (IOException e) {
      return sent;
    }
    return sent;
  }

  /** Encodes a frame header; {@code mask} null means unmasked. */
  public static byte[] frameHeader(boolean fin, int rsv, int opcode, byte[] mask,
      long length) {
    ByteArrayOutputStream h = new ByteArrayOutputStream(14);
    h.write((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f));
    int maskBit = mask != null ? 0x80 : 0;
    if (length < 126) {
      h.write(maskBit | (int) length);
    } else if (length <= 0xffff) {
      h.write(maskBit | 126);
      h.write((int) (length >> 8));
      h.write((int) length);
    } else {
      h.write(maskBit | 127);
      for (int i = 7; i >= 0; i--) {
        h.write((int) (length >>> (8 * i)));
      }
    }
    if (mask != null) {
      h.write(mask, 0, 4);
    }
    return h.toByteArray();
  }

  /** A frame received from the server. */
  public static final class Frame {
    private final boolean fin;
    private final int opcode;
    private final byte[] payload;

    Frame(boolean fin, int opcode, byte[] payload) {
      this.fin = fin;
      this.opcode = opcode;
      this.payload = payload;
    }

    /** FIN bit. */
    public boolean fin() {
      return fin;
    }

    /** Opcode. */
    public int opcode() {
      return opcode;
    }

    /** Payload (unmasked). */
    public byte[] payload() {
      return payload.clone();
    }

    /** Payload as UTF-8 text. */
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** Close code of a Close frame (1005 if it has none). */
    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
    }

    /** Close reason of a Close frame (empty if it has none). */
    public String closeReason() {
      return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
    }

    @Override
    public String toString() {
      return "Frame[op=" + opcode + ", fin=" + fin + ", len=" + payload.length
          + (opcode == OP_CLOSE ? ", code=" + closeCode() : "") + "]";
    }
  }

  /**
   * Reads one frame, waiting at most {@code timeout}. Server frames larger than 16 MiB are refused
   * (this client never needs them).
   *
   * @throws SocketTimeoutException if nothing complete arrives in time
   * @throws EOFException if the peer closed the TCP connection
   */
  public Frame readFrame(Duration timeout) throws IOException {
    socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    int b0 = in.read();
    if (b0 < 0) {
      throw new EOFException("TCP connection closed by peer");
    }
    int b1 = readByte();
    long len = b1 & 0x7f;
    if (len == 126) {
      len = (readByte() << 8) | readByte();
    } else if (len == 127) {
      len = 0;
      for (int i = 0; i < 8; i++) {
        len = (len << 8) | readByte();
      }
    }
    byte[] mask = null;
    if ((b1 & 0x80) != 0) {
      mask = new byte[] {(byte) readByte(), (byte) readByte(), (byte) readByte(),
          (byte) readByte()};
    }
    if (len < 0 || len > 16 * 1024 * 1024) {
      throw new IOException("server frame too large: " + len);
    }
    byte[] p = in.readNBytes((int) len);
    if (p.length < len) {
      throw new EOFException("TCP connection closed inside a frame");
    }
    if (mask != null) {
      for (int i = 0; i < p.length; i++) {
        p[i] ^= mask[i & 3];
      }
    }
    return new Frame((b0 & 0x80) != 0, b0 & 0x0f, p);
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("TCP connection closed inside a frame header");
    }
    return b;
  }

  /** How a connection ended from this client's point of view. */
  public static final class CloseResult {
    private final int closeCode;
    private final boolean tcpClosed;
    private final boolean reset;
    private final boolean timedOut;
    private final long elapsedMillis;

    CloseResult(int closeCode, boolean tcpClosed, boolean reset, boolean timedOut,
        long elapsedMillis) {
      this.closeCode = closeCode;
      this.tcpClosed = tcpClosed;
      this.reset = reset;
      this.timedOut = timedOut;
      this.elapsedMillis = elapsedMillis;
    }

    /** The code of the Close frame received, or -1 if none arrived. */
    public int closeCode() {
      return closeCode;
    }

    /** Whether the TCP connection was closed (FIN or RST) by the peer. */
    public boolean tcpClosed() {
      return tcpClosed;
    }

    /** Whether the TCP connection was reset. */
    public boolean reset() {
      return reset;
    }

    /** Whether neither a Close frame nor a TCP close arrived in time. */
    public boolean timedOut() {
      return timedOut;
    }

    /** True if the server ended the connection (Close frame or TCP close) in time. */
    public boolean closed() {
      return !timedOut;
    }

    /** Milliseconds until the close was observed. */
    public long elapsedMillis() {
      return elapsedMillis;
    }

    @Override
    public String toString() {
      return timedOut ? "not closed within deadline"
          : "closed(code=" + closeCode + ", tcp=" + tcpClosed + ", reset=" + reset + ", after "
              + elapsedMillis + " ms)";
    }
  }

  /**
   * Reads and discards data frames until a Close frame arrives or the TCP connection ends, for at
   * most {@code timeout}. Does not answer the Close.
   */
  public CloseResult awaitClose(Duration timeout) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      if (left <= 0) {
        return new CloseResult(-1, false, false, true, elapsed);
      }
      try {
        Frame f = readFrame(Duration.ofNanos(left));
        if (f.opcode() == OP_CLOSE) {
          return new CloseResult(f.closeCode(), false, false, false,
              (System.nanoTime() - start) / 1_000_000);
        }
      } catch (SocketTimeoutException e) {
        return new CloseResult(-1, false, false, true, (System.nanoTime() - start) / 1_000_000);
      } catch (IOException e) {
        boolean reset = e.getMessage() != null
            && e.getMessage().toLowerCase(Locale.ROOT).contains("reset");
        return new CloseResult(-1, true, reset, false, (System.nanoTime() - start) / 1_000_000);
      }
    }
  }

  /**
   * Waits up to {@code timeout} for the peer to close the TCP connection, discarding anything
   * received. Returns true if it did (FIN or RST).
   */
  public boolean awaitTcpClose(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    byte[] buf = new byte[8192];
    try {
      boolean first = true;
      while (true) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0 && !first) {
          return false;
        }
        first = false; // one read at least: a close already received counts even if this thread was late
        socket.setSoTimeout((int) Math.max(1, left));
        if (in.read(buf) < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // ignore
    }
  }

  /** Closes with a TCP RST. */
  public void abort() {
    FaultProxy.abortSocket(socket);
  }

  /** A fresh random {@code Sec-WebSocket-Key}. */
  public static String newKey() {
    byte[] k = new byte[16];
    RANDOM.nextBytes(k);
    return Base64.getEncoder().encodeToString(k);
  }

  /** The {@code Sec-WebSocket-Accept} value a server must answer for {@code key}. */
  public static String acceptFor(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return Base64.getEncoder().encodeToString(
          sha1.digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] newMask() {
    byte[] m = new byte[4];
    RANDOM.nextBytes(m);
    return m;
  }
}
