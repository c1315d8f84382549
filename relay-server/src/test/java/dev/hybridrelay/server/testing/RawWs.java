package dev.hybridrelay.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A raw-socket WebSocket/HTTP client for tests that need exact control: it reads the exact status
 * line of a refused handshake, writes frames with any header (fragmented messages, absurd
 * lengths) and never answers a Close or Ping on its own.
 */
public final class RawWs implements AutoCloseable {
  public static final int TEXT = 1;
  public static final int BINARY = 2;
  public static final int CONTINUATION = 0;
  public static final int CLOSE = 8;
  public static final int PING = 9;
  public static final int PONG = 10;

  /** A received frame. */
  public record Frame(int opcode, boolean fin, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    public int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
    }

    public String closeReason() {
      return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  public final int status;
  public final String reason;
  public final Map<String, String> headers;

  private RawWs(Socket socket, int status, String reason, Map<String, String> headers) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.status = status;
    this.reason = reason;
    this.headers = headers;
  }

  public static Socket socket(URI uri, SSLContext ssl) throws IOException {
    int port = uri.getPort();
    Socket s;
    if ("wss".equals(uri.getScheme()) || "https".equals(uri.getScheme())) {
      SSLSocket ss = (SSLSocket) ssl.getSocketFactory().createSocket(uri.getHost(), port);
      SSLParameters params = ss.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      ss.setSSLParameters(params);
      ss.startHandshake();
      s = ss;
    } else {
      s = new Socket(uri.getHost(), port);
    }
    s.setSoTimeout(10_000);
    s.setTcpNoDelay(true);
    return s;
  }

  /** Performs a WebSocket handshake; the result may be a refusal (check {@link #status}). */
  public static RawWs connect(URI uri, Map<String, String> extraHeaders, SSLContext ssl) throws IOException {
    Socket s = socket(uri, ssl);
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    StringBuilder req = new StringBuilder();
    req.append("GET ").append(uri.getRawPath()).append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
        .append(" HTTP/1.1\r\n")
        .append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n")
        .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
        .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(nonce)).append("\r\n")
        .append("Sec-WebSocket-Version: 13\r\n");
    extraHeaders.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    req.append("\r\n");
    s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
    return readResponse(s);
  }

  /** Sends an arbitrary request text and reads the response head. */
  public static RawWs request(URI uri, String requestText, SSLContext ssl) throws IOException {
    Socket s = socket(uri, ssl);
    s.getOutputStream().write(requestText.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
    return readResponse(s);
  }

  private static RawWs readResponse(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the response head: " + head);
      }
      head.write(b);
      state = (b == '\r' && (state == 0 || state == 2)) ? state + 1
          : (b == '\n' && (state == 1 || state == 3)) ? state + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    return new RawWs(s, Integer.parseInt(statusLine[1]), statusLine.length > 2 ? statusLine[2] : "", headers);
  }

  public boolean upgraded() {
    return status == 101;
  }

  public void send(int opcode, boolean fin, byte[] payload) throws IOException {
    writeHeader(opcode, fin, payload.length);
    byte[] mask = new byte[4];
    RANDOM.nextBytes(mask);
    out.write(mask);
    byte[] masked = new byte[payload.length];
    for (int i = 0; i < payload.length; i++) {
      masked[i] = (byte) (payload[i] ^ mask[i & 3]);
    }
    out.write(masked);
    out.flush();
  }

  public void sendText(String text) throws IOException {
    send(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  public void sendClose(int code, String reason) throws IOException {
    byte[] r = reason.getBytes(StandardCharsets.UTF_8);
    byte[] p = new byte[2 + r.length];
    p[0] = (byte) (code >> 8);
    p[1] = (byte) code;
    System.arraycopy(r, 0, p, 2, r.length);
    send(CLOSE, true, p);
  }

  /** Writes only a masked frame header declaring {@code length} payload bytes. */
  public void writeHeader(int opcode, boolean fin, long length) throws IOException {
    out.write((fin ? 0x80 : 0) | opcode);
    if (length < 126) {
      out.write(0x80 | (int) length);
    } else if (length < 65536) {
      out.write(0x80 | 126);
      out.write((int) (length >> 8));
      out.write((int) length);
    } else {
      out.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        out.write((int) (length >> (8 * i)));
      }
    }
  }

  public void writeRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Reads one frame (unmasked, as a server sends them). */
  public Frame readFrame() throws IOException {
    int b0 = readByte();
    int b1 = readByte();
    long len = b1 & 0x7F;
    if (len == 126) {
      len = (readByte() << 8) | readByte();
    } else if (len == 127) {
      len = 0;
      for (int i = 0; i < 8; i++) {
        len = (len << 8) | readByte();
      }
    }
    byte[] payload = in.readNBytes((int) len);
    if (payload.length != len) {
      throw new EOFException("truncated frame");
    }
    return new Frame(b0 & 0x0F, (b0 & 0x80) != 0, payload);
  }

  /** Reads frames, skipping Pings and Pongs, until a data or Close frame. */
  public Frame readDataOrClose() throws IOException {
    while (true) {
      Frame f = readFrame();
      if (f.opcode != PING && f.opcode != PONG) {
        return f;
      }
    }
  }

  /** True if the server closed the TCP connection (EOF or reset) within the socket timeout. */
  public boolean awaitEof(int timeoutMs) throws IOException {
    socket.setSoTimeout(timeoutMs);
    try {
      byte[] buf = new byte[8192];
      while (true) {
        if (in.read(buf) < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException();
    }
    return b;
  }

  public Socket socket() {
    return socket;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
