package dev.hybridrelay.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A minimal HTTP/1.1 response reader for tests that drive a plain socket: status line, headers
 * (case-insensitive; repeated headers joined with {@code ", "}) and a body framed by
 * {@code Content-Length}, chunked transfer coding or end of stream. Reads from the caller's thread
 * and blocks until the response is complete; it does no validation beyond what tests need.
 */
public final class RawHttp {
  public final int status;
  public final String reason;
  public final Map<String, String> headers;
  public final byte[] body;

  private RawHttp(int status, String reason, Map<String, String> headers, byte[] body) {
    this.status = status;
    this.reason = reason;
    this.headers = headers;
    this.body = body;
  }

  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** Reads one response (a 1xx interim response is returned as such, without body). */
  public static RawHttp read(InputStream in, boolean headRequest) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      throw new IOException("connection closed before a response");
    }
    String[] parts = statusLine.split(" ", 3);
    int status = Integer.parseInt(parts[1]);
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    String l;
    while ((l = line(in)) != null && !l.isEmpty()) {
      int c = l.indexOf(':');
      headers.merge(l.substring(0, c).trim(), l.substring(c + 1).trim(), (a, b) -> a + ", " + b);
    }
    byte[] body = new byte[0];
    if (status >= 200 && !headRequest && status != 204 && status != 304) {
      String te = headers.getOrDefault("Transfer-Encoding", "").toLowerCase(Locale.ROOT);
      if (te.contains("chunked")) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
          int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
          if (size == 0) {
            while (!line(in).isEmpty()) {
              // trailers
            }
            break;
          }
          out.write(in.readNBytes(size));
          line(in);
        }
        body = out.toByteArray();
      } else if (headers.containsKey("Content-Length")) {
        body = in.readNBytes(Integer.parseInt(headers.get("Content-Length")));
      } else {
        body = in.readAllBytes();
      }
    }
    return new RawHttp(status, parts.length > 2 ? parts[2] : "", headers, body);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }
}
