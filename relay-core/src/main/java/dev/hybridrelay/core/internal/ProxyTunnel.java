package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.RelayProxyException;
import dev.hybridrelay.core.RelayTimeoutException;
import java.io.IOException;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the TCP path of a client WebSocket: directly, or through an HTTP proxy with {@code CONNECT
 * host:port} (Basic credentials sent at once when known). Runs on the connecting thread with the
 * channel still blocking, before TLS; the proxy's answer is read up to {@value #MAX_RESPONSE_HEADER}
 * bytes and within the connection's deadline. Failures are {@link RelayProxyException}s naming the
 * proxy and its status; neither the password nor the {@code Proxy-Authorization} header is ever
 * logged.
 */
public final class ProxyTunnel {
  private static final Logger log = LoggerFactory.getLogger(ProxyTunnel.class);
  /** Largest proxy response header accepted. */
  static final int MAX_RESPONSE_HEADER = 16 * 1024;

  private ProxyTunnel() {
  }

  /**
   * The proxy for a connection to {@code host:port}, or null for a direct connection.
   *
   * @throws RelayProxyException if the JDK's selector picks a SOCKS proxy (not supported)
   */
  public static ProxyConfig.Server route(ProxyConfig config, String host, int port, boolean secure)
      throws RelayProxyException {
    ProxyConfig cfg = config == null ? ProxyConfig.SYSTEM : config;
    if (cfg.mode() == ProxyConfig.Mode.DIRECT || cfg.noProxy().matches(host, port)) {
      return null;
    }
    if (cfg.mode() == ProxyConfig.Mode.HTTP) {
      return cfg.server();
    }
    ProxySelector selector = ProxySelector.getDefault();
    if (selector != null) {
      List<Proxy> chosen;
      try {
        chosen = selector.select(new URI(secure ? "https" : "http", null, host, port, null, null, null));
      } catch (URISyntaxException | RuntimeException e) {
        log.debug("The proxy selector failed for {}:{}: {}", host, port, e.toString());
        chosen = List.of();
      }
      for (Proxy p : chosen == null ? List.<Proxy>of() : chosen) {
        if (p.type() == Proxy.Type.DIRECT) {
          break;
        }
        if (!(p.address() instanceof InetSocketAddress)) {
          continue;
        }
        InetSocketAddress a = (InetSocketAddress) p.address();
        if (p.type() != Proxy.Type.HTTP) {
          throw new RelayProxyException(a.getHostString() + ":" + a.getPort(), 0, "The JDK's proxy settings choose the "
              + p.type() + " proxy " + a.getHostString() + ":" + a.getPort() + " for " + host + ":" + port
              + ", but only HTTP proxies are supported; set an HTTP proxy (https.proxyHost) or RelayProxy.none()");
        }
        return withAuthenticator(a.getHostString(), a.getPort(), secure);
      }
    }
    return secure ? cfg.envSecure() : cfg.envPlain();
  }

  /** The proxy with credentials from the default {@link Authenticator}, if one is set and answers. */
  private static ProxyConfig.Server withAuthenticator(String host, int port, boolean secure) {
    if (Authenticator.getDefault() != null) {
      try {
        PasswordAuthentication pa = Authenticator.requestPasswordAuthentication(host, null, port,
            secure ? "https" : "http", "Proxy", "basic", null, Authenticator.RequestorType.PROXY);
        if (pa != null && pa.getUserName() != null && !pa.getUserName().isEmpty()) {
          return new ProxyConfig.Server(host, port, pa.getUserName(), new String(pa.getPassword()));
        }
      } catch (RuntimeException e) {
        log.debug("The default Authenticator failed for proxy {}:{}: {}", host, port, e.getClass().getName());
      }
    }
    return new ProxyConfig.Server(host, port, null, null);
  }

  /**
   * Connects {@code ch} (blocking) to {@code host:port}, through {@code proxy} if not null.
   *
   * @param connectMillis the TCP connect timeout
   * @param deadlineNanos the connection's overall deadline (bounds the proxy's answer)
   */
  public static void connect(SocketChannel ch, ProxyConfig.Server proxy, String host, int port, int connectMillis,
      long deadlineNanos, String trackingId) throws IOException {
    if (proxy == null) {
      try {
        ch.socket().connect(new InetSocketAddress(host, port), connectMillis);
      } catch (SocketTimeoutException e) {
        throw new RelayTimeoutException(0, "Timed out connecting to the relay at " + host + ":" + port, trackingId);
      }
      return;
    }
    String name = proxy.address();
    String target = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    InetSocketAddress address = new InetSocketAddress(proxy.host(), proxy.port());
    if (address.isUnresolved()) {
      throw new RelayProxyException(name, 0, "Cannot resolve the host of proxy " + name);
    }
    log.debug("Connecting to {} through proxy {} ({})", target, name,
        proxy.username() == null ? "no credentials" : "Basic credentials of user " + proxy.username());
    try {
      ch.socket().connect(address, connectMillis);
    } catch (SocketTimeoutException e) {
      throw new RelayProxyException(name, 0, "Timed out connecting to proxy " + name + " after " + connectMillis + " ms");
    } catch (IOException e) {
      RelayProxyException ex = new RelayProxyException(name, 0, "Cannot connect to proxy " + name + ": "
          + Redaction.text(String.valueOf(e.getMessage())));
      ex.initCause(e);
      throw ex;
    }
    StringBuilder req = new StringBuilder(256);
    req.append("CONNECT ").append(target).append(" HTTP/1.1\r\n")
        .append("Host: ").append(target).append("\r\n")
        .append("User-Agent: ").append(UserAgent.VALUE).append("\r\n");
    if (proxy.username() != null) {
      String pair = proxy.username() + ":" + (proxy.password() == null ? "" : proxy.password());
      req.append("Proxy-Authorization: Basic ")
          .append(Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8))).append("\r\n");
    }
    req.append("\r\n");
    long remaining = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    if (remaining <= 0) {
      throw new RelayProxyException(name, 0, "Timed out connecting through proxy " + name);
    }
    AtomicBoolean timedOut = new AtomicBoolean();
    SharedScheduler.acquire();
    ScheduledFuture<?> timer = SharedScheduler.once(remaining, () -> {
      timedOut.set(true);
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    });
    Response r;
    try {
      ByteBuffer out = ByteBuffer.wrap(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      while (out.hasRemaining()) {
        ch.write(out);
      }
      r = readResponse(ch, name);
    } catch (IOException e) {
      if (timedOut.get()) {
        throw new RelayProxyException(name, 0, "Proxy " + name + " did not answer the CONNECT to " + target
            + " within " + remaining + " ms");
      }
      if (e instanceof RelayProxyException) {
        throw e;
      }
      RelayProxyException ex = new RelayProxyException(name, 0, "Proxy " + name + " failed the CONNECT to " + target
          + ": " + Redaction.text(String.valueOf(e.getMessage())));
      ex.initCause(e);
      throw ex;
    } finally {
      if (timer != null) {
        timer.cancel(false);
      }
      SharedScheduler.release();
    }
    log.debug("Proxy {} answered the CONNECT to {}: {} {}", name, target, r.status, r.reason);
    if (r.status >= 200 && r.status < 300) {
      if (r.extra > 0) {
        throw new RelayProxyException(name, r.status, "Proxy " + name + " sent " + r.extra
            + " unexpected bytes after accepting the CONNECT to " + target);
      }
      return;
    }
    throw refusal(proxy, target, r);
  }

  private static RelayProxyException refusal(ProxyConfig.Server proxy, String target, Response r) {
    String name = proxy.address();
    String status = r.status + (r.reason.isEmpty() ? "" : " " + r.reason);
    if (r.status == 407) {
      String schemes = String.join(", ", r.authSchemes);
      boolean basicOffered = r.authSchemes.isEmpty()
          || r.authSchemes.stream().anyMatch(s -> s.equalsIgnoreCase("basic"));
      String only = basicOffered ? "" : "; the proxy offers only " + schemes + ", but only Basic is supported";
      if (proxy.username() == null) {
        return new RelayProxyException(name, 407, "Proxy " + name + " requires authentication (" + status + ")"
            + only + "; give the proxy credentials, e.g. --proxy http://user:password@" + name);
      }
      return new RelayProxyException(name, 407, "Proxy " + name + " refused the credentials of user '"
          + proxy.username() + "' (" + status + ")" + only + "; check the proxy user name and password");
    }
    if (r.status == 502 || r.status == 503 || r.status == 504) {
      return new RelayProxyException(name, r.status, "Proxy " + name + " could not open the tunnel to " + target
          + " (" + status + ")");
    }
    return new RelayProxyException(name, r.status, "Proxy " + name + " refused the tunnel to " + target
        + " (" + status + ")");
  }

  /** A proxy's response header. */
  static final class Response {
    int status;
    String reason = "";
    final List<String> authSchemes = new ArrayList<>();
    int extra;
  }

  /** Reads the status line and headers (bounded); the body of a refusal is not read. */
  static Response readResponse(SocketChannel ch, String name) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(1024);
    int end;
    while (true) {
      end = headerEnd(buf);
      if (end >= 0) {
        break;
      }
      if (!buf.hasRemaining()) {
        if (buf.capacity() >= MAX_RESPONSE_HEADER) {
          throw new RelayProxyException(name, 0, "Proxy " + name + " sent a response header over "
              + MAX_RESPONSE_HEADER + " bytes");
        }
        ByteBuffer bigger = ByteBuffer.allocate(Math.min(MAX_RESPONSE_HEADER, buf.capacity() * 4));
        buf.flip();
        bigger.put(buf);
        buf = bigger;
      }
      if (ch.read(buf) < 0) {
        throw new RelayProxyException(name, 0, "Proxy " + name + " closed the connection without answering the "
            + "CONNECT");
      }
    }
    String head = new String(buf.array(), 0, end, StandardCharsets.ISO_8859_1);
    int headLength = head.length() + (buf.get(end) == '\r' ? 4 : 2);
    String[] lines = head.split("\r?\n");
    Response r = new Response();
    String line = lines[0];
    String[] parts = line.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("\\d{3}")) {
      throw new RelayProxyException(name, 0, "Proxy " + name + " sent a malformed answer to the CONNECT: '"
          + printable(line) + "'");
    }
    r.status = Integer.parseInt(parts[1]);
    r.reason = parts.length > 2 ? printable(parts[2]) : "";
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0 && lines[i].substring(0, colon).trim().equalsIgnoreCase("Proxy-Authenticate")) {
        String v = lines[i].substring(colon + 1).trim();
        int sp = v.indexOf(' ');
        r.authSchemes.add(printable(sp < 0 ? v : v.substring(0, sp)));
      }
    }
    r.extra = buf.position() - headLength;
    return r;
  }

  /** The offset of the blank line ending the header in {@code buf} (write mode), or -1. */
  private static int headerEnd(ByteBuffer buf) {
    byte[] a = buf.array();
    int n = buf.position();
    for (int i = 0; i + 1 < n; i++) {
      if (a[i] == '\n' && a[i + 1] == '\n') {
        return i;
      }
      if (i + 3 < n && a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** Printable ASCII only, at most 120 characters, redacted. */
  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && sb.length() < 120; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return Redaction.text(sb.toString().trim());
  }
}
