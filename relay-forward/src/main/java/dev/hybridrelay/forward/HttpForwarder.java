package dev.hybridrelay.forward;

import dev.hybridrelay.core.RelayConnectionString;
import dev.hybridrelay.core.RelayHttpRequest;
import dev.hybridrelay.core.RelayHttpResponse;
import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.internal.InlineRequestHandler;
import dev.hybridrelay.core.internal.RelayUris;
import dev.hybridrelay.forward.internal.AsyncTargetClient;
import dev.hybridrelay.forward.internal.ForwardLog;
import dev.hybridrelay.forward.internal.ForwardRelays;
import dev.hybridrelay.forward.internal.HttpProxyHeaders;
import dev.hybridrelay.forward.internal.CountingInputStream;
import dev.hybridrelay.forward.internal.TargetHttpClient;
import dev.hybridrelay.forward.internal.TrustAll;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reverse proxy from a hybrid connection's HTTP request mode to a local HTTP(S) service, like
 * {@code azbridge -H hc:http/host:port}: a plain HTTPS client calls {@code https://{namespace}/{hc}/…},
 * and this forwarder, a listener on the edge, sends each request to the target and streams the
 * answer back.
 *
 * <pre>{@code
 * HttpForwarder web = HttpForwarder.builder(connectionString)
 *     .hybridConnection("shop")
 *     .target(URI.create("http://127.0.0.1:8080/app/"))   // https: the JDK trust store; insecure(true) to skip it
 *     .build();
 * web.start();   // returns once the listener is online, or throws
 * // https://{namespace}/shop/orders/17?x=1  ->  http://127.0.0.1:8080/app/orders/17?x=1
 * }</pre>
 *
 * <h2>What is forwarded</h2>
 * The request's method, the path below the hybrid connection (the name is stripped, as azbridge
 * does) appended to the target's path, the query (without the relay's {@code sb-hc-…} parameters),
 * the headers and the body. Connection-level headers ({@code Connection} and the headers it names,
 * {@code Keep-Alive}, {@code Transfer-Encoding}, {@code TE}, {@code Trailer}, {@code Upgrade},
 * {@code Proxy-*}) are dropped both ways; {@code Host} becomes the target's. Added toward the
 * target: {@code X-Forwarded-For} (extended with the sender's address), {@code X-Forwarded-Host}
 * (the sender's {@code Host}), {@code X-Forwarded-Proto} ({@code https}, or {@code http} for a relay
 * without TLS), {@code X-Forwarded-Prefix} ({@code /hc}); {@code Via} is extended with
 * {@code 1.1 hybridrelay} both ways. Repeated response headers are joined with {@code ", "}
 * (the relay protocol carries one value per name).
 *
 * <h2>Bodies and memory</h2>
 * Both bodies stream. A request body that ends within 64 KiB is sent with {@code Content-Length};
 * a longer one is sent chunked as it arrives. The response body is copied through a buffer of up to
 * 256 KiB as the target sends it (each piece one WebSocket frame); the relay connection's
 * backpressure slows the target. Per request, memory stays around 320 KiB plus the listener's
 * bounded buffers, whatever the size.
 *
 * <h2>Failures</h2>
 * The sender gets {@code 502 Bad Gateway} when the target cannot be reached (refused, unknown host,
 * TLS failure, the connection broke before the response head), {@code 504 Gateway Timeout} when the
 * connect takes longer than {@link Builder#connectTimeout connectTimeout} (10 s) or the response
 * head does not arrive within {@link Builder#requestTimeout requestTimeout} (50 s; below the relay's
 * own 60 s, so the answer says which side waited). A response body that moves no byte for
 * {@code requestTimeout} is cut: the relay then drops the sender's connection, so a truncated
 * download never passes as complete. A target that is not an HTTP/1.1 server, or a request the HTTP
 * client refuses (a header value it rejects), gives 502 or 400. The error answers are plain text,
 * never naming the target, its address or the exception.
 *
 * <h2>Log</h2>
 * One INFO line per request on the logger {@code dev.hybridrelay.forward.HttpForwarder.requests}, as
 * the TCP forwarders print one per connection:
 * {@code H-7 GET /orders/17 -> 200, 12 B in, 1.2 KiB out, 0.01 s}; errors add the cause:
 * {@code H-8 GET / -> 502 (target unreachable: Connection refused), 0 B in, 0 B out, 0.00 s}.
 * The path is logged without its query; headers, tokens and bodies never.
 *
 * <h2>Threads and limits</h2>
 * A request whose body came inline (at most 64 KiB, already in memory) to a plain-HTTP target given
 * as an IP address or {@code localhost} takes the non-blocking path: it is written to the target
 * from the listener's I/O thread, and an answer whose body is at most 64 KiB (with a
 * {@code Content-Length}, chunked, or ending with the connection) goes back inline from that thread,
 * together with the other answers ready in the same round; no request thread is involved. A larger
 * answer is streamed from a request thread. Every other request (https targets, targets by host
 * name, bodies sent over the request's own socket) runs on the listener's request threads
 * ({@code hybridrelay-listener-N-http-…}) with blocking I/O to the target. Either way at most
 * {@link Builder#maxConcurrentRequests maxConcurrentRequests} (64) requests are forwarded at once;
 * further requests queue in the listener (1,024) and beyond that get 503. Idle connections to the
 * target are kept alive for the next request (at most {@code maxConcurrentRequests} per path and
 * I/O thread, each for 30 s). The system property {@code dev.hybridrelay.forward.http.nonBlocking=false}
 * turns the non-blocking path off. A daemon thread {@code hybridrelay-http-forward-watchdog} cuts idle
 * response bodies and ends connects and answers that take too long. All methods
 * are thread-safe. WebSocket connections to this hybrid connection are refused (404).
 */
public final class HttpForwarder implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(HttpForwarder.class);
  /** The per-request lines: {@code dev.hybridrelay.forward.HttpForwarder.requests}. */
  private static final Logger requests = LoggerFactory.getLogger(HttpForwarder.class.getName() + ".requests");
  private static final int BUFFER = 64 * 1024;
  /**
   * The largest piece of a response body passed on at once (one WebSocket frame). The relay passes
   * a frame on only once it has all of it, so a smaller frame starts the sender's bytes sooner: 64
   * KiB downloaded 1.2–1.5× as fast as 256 KiB (Performance page, seventh HTTP round).
   */
  private static final int RESPONSE_BUFFER = 64 * 1024;
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final RelayConnectionString connectionString;
  private final String hybridConnection;
  private final URI target;
  private final String targetBase;
  private final boolean insecure;
  private final Duration connectTimeout;
  private final Duration requestTimeout;
  private final int maxConcurrentRequests;
  private final Consumer<RelayListener.Builder> listenerCustomizer;
  private final String proto;
  private final TargetHttpClient client;
  /** The non-blocking path to a plain-HTTP target given by address; null otherwise. */
  private final AsyncTargetClient async;
  private final ScheduledExecutorService watchdog;
  private final Map<Exchange, Boolean> streaming = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong bytesOut = new AtomicLong();
  private final Object lock = new Object();
  private RelayListener listener;
  private volatile boolean closed;

  private HttpForwarder(Builder b) {
    this.connectionString = b.connectionString;
    this.hybridConnection = ForwardRelays.hybridConnection(b.hybridConnection, b.connectionString);
    if (b.target == null) {
      throw new IllegalArgumentException("No target for hybrid connection '" + hybridConnection
          + "': call target(URI.create(\"http://host:port/\"))");
    }
    this.target = b.target;
    String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
    this.targetBase = target.getScheme().toLowerCase(Locale.ROOT) + "://" + target.getRawAuthority()
        + (path.endsWith("/") ? path : path + "/");
    this.insecure = b.insecure;
    this.connectTimeout = b.connectTimeout;
    this.requestTimeout = b.requestTimeout;
    this.maxConcurrentRequests = b.maxConcurrentRequests;
    this.listenerCustomizer = b.listenerCustomizer;
    this.proto = RelayUris.webSocketScheme(connectionString).equals("ws") ? "http" : "https";
    int n = INSTANCES.incrementAndGet();
    this.client = new TargetHttpClient(target, insecure ? TrustAll.context() : null, !insecure, connectTimeout,
        requestTimeout, maxConcurrentRequests);
    InetSocketAddress literal = NON_BLOCKING && target.getScheme().equalsIgnoreCase("http")
        ? literalAddress(target) : null;
    this.async = literal == null ? null : new AsyncTargetClient(literal, client, connectTimeout, requestTimeout,
        maxConcurrentRequests, BUFFER);
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hybridrelay-http-forward-watchdog-" + n);
      t.setDaemon(true);
      return t;
    });
  }

  /** Off with {@code -Ddev.hybridrelay.forward.http.nonBlocking=false}: every request on a request thread. */
  private static final boolean NON_BLOCKING =
      !"false".equalsIgnoreCase(System.getProperty("dev.hybridrelay.forward.http.nonBlocking"));

  /** The target's address when its host is an IP address or {@code localhost} (no name lookup on the loop). */
  private static InetSocketAddress literalAddress(URI target) {
    String host = target.getHost();
    int port = target.getPort() >= 0 ? target.getPort() : 80;
    if (host == null) {
      return null;
    }
    boolean literal = host.startsWith("[") || host.equalsIgnoreCase("localhost") || host.matches("[0-9.]+");
    if (!literal) {
      return null;
    }
    try {
      String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
      return new InetSocketAddress(java.net.InetAddress.getByName(h), port);
    } catch (java.net.UnknownHostException e) {
      return null;
    }
  }

  /** A builder for the connection string's hybrid connection (or the one set with {@link Builder#hybridConnection}). */
  public static Builder builder(String connectionString) {
    return new Builder(RelayConnectionString.parse(connectionString));
  }

  /** A builder for the connection string's hybrid connection (or the one set with {@link Builder#hybridConnection}). */
  public static Builder builder(RelayConnectionString connectionString) {
    return new Builder(Objects.requireNonNull(connectionString, "connectionString"));
  }

  /**
   * Opens the relay listener and returns once it is online.
   *
   * @throws dev.hybridrelay.core.RelayAuthorizationException if the relay refused the credentials
   * @throws dev.hybridrelay.core.RelayConnectException if the relay refused otherwise (no such hybrid connection)
   * @throws IOException on network failure or timeout
   * @throws IllegalStateException if already started or closed
   */
  public void start() throws IOException {
    RelayListener l;
    synchronized (lock) {
      if (closed || listener != null) {
        throw new IllegalStateException(closed ? "The forwarder is closed" : "The forwarder is already started");
      }
      l = ForwardRelays.newListener(connectionString, hybridConnection, lb -> lb
          .maxConcurrentRequests(maxConcurrentRequests)
          .acceptHandler(request -> {
            request.reject(404, "This hybrid connection forwards HTTP requests only");
            return false;
          })
          .requestHandler(new InlineRequestHandler() {
            @Override
            public void handle(RelayHttpRequest request, RelayHttpResponse response) throws IOException {
              HttpForwarder.this.handle(request, response);
            }

            @Override
            public boolean handleInline(Exchange exchange) {
              return HttpForwarder.this.handleInline(exchange);
            }
          }), listenerCustomizer);
      listener = l;
    }
    ForwardRelays.open(l, () -> {
      synchronized (lock) {
        listener = null;
      }
    });
    long period = Math.max(100, Math.min(1000, requestTimeout.toMillis() / 4));
    watchdog.scheduleWithFixedDelay(this::cutIdle, period, period, TimeUnit.MILLISECONDS);
    log.info("Forwarding HTTP requests on hybrid connection '{}' to {}{}", hybridConnection, targetBase,
        insecure ? " (certificate not verified)" : "");
  }

  /** Forwards one request on a request thread (blocking I/O to the target). */
  private void handle(RelayHttpRequest request, RelayHttpResponse response) throws IOException {
    Track t = new Track(request.method(), request.path());
    Exchange x = new Exchange(request.body());
    try {
      TargetHttpClient.Response r;
      try {
        r = send(request, x);
      } catch (IOException | IllegalArgumentException e) {
        if (failure(response, e, t) < 0) {
          throw (IOException) e.getCause(); // the sender's connection broke: nobody to answer
        }
        return;
      }
      relay(r, response, x, t);
    } catch (RuntimeException | IOException e) {
      if (t.cause == null) {
        t.cause = describe(e);
      }
      throw e;
    } finally {
      t.finish(x.in(), x.out);
    }
  }

  /**
   * Answers a request that got no response from the target; returns the status sent, or -1 when
   * {@code e} is the sender's own connection breaking (no answer possible). Sets the log's cause.
   */
  private int failure(RelayHttpResponse response, Exception e, Track t) throws IOException {
    if (e instanceof TargetHttpClient.ConnectTimeoutException) {
      t.cause = "connect timeout after " + ForwardLog.duration(connectTimeout);
      return t.status = error(response, 504, "timeout", "The service behind the relay did not accept the connection in time.");
    } else if (e instanceof TargetHttpClient.HeadTimeoutException) {
      t.cause = "no response head within " + ForwardLog.duration(requestTimeout);
      return t.status = error(response, 504, "timeout", "The service behind the relay did not answer in time.");
    } else if (e instanceof ConnectException) {
      t.cause = "target unreachable: " + describe(e);
      return t.status = error(response, 502, "unreachable", "The service behind the relay cannot be reached.");
    } else if (e instanceof BadRequest) {
      t.cause = "bad request: " + e.getMessage();
      return t.status = error(response, 400, "bad_request", e.getMessage());
    } else if (e instanceof IllegalArgumentException) {
      t.cause = "bad request: " + e.getMessage();
      return t.status = error(response, 400, "bad_request", "The request cannot be forwarded (an invalid header or method).");
    } else if (e instanceof Exchange.BodyFailed) {
      return -1;
    }
    t.cause = "target failed: " + describe(e);
    return t.status = error(response, 502, "failed", "The service behind the relay failed to answer.");
  }

  /** Copies the target's response (head received) to the sender, streaming. */
  private void relay(TargetHttpClient.Response r, RelayHttpResponse response, Exchange x, Track t) throws IOException {
    t.status = r.statusCode();
    response.setStatus(t.status);
    HttpProxyHeaders.response(r.headers(), (k, v) -> response.headers().put(k, v));
    x.startStreaming(r.body());
    streaming.put(x, Boolean.TRUE);
    try (InputStream in = r.body(); OutputStream out = response.body()) {
      long length = r.contentLength();
      // a small body in one small buffer; a large one in frames as large as the socket has ready
      byte[] buf = new byte[length >= 0 && length < RESPONSE_BUFFER ? (int) Math.max(1, length) : RESPONSE_BUFFER];
      int n;
      while ((n = fill(in, buf)) >= 0) {
        x.touch();
        out.write(buf, 0, n);
        x.touch();
        x.out += n;
        bytesOut.addAndGet(n);
      }
    } catch (IOException e) {
      t.cause = x.idleCut ? "response body idle for " + ForwardLog.duration(requestTimeout) + ", cut"
          : "response body broken: " + describe(e);
      throw e;
    } finally {
      streaming.remove(x);
    }
  }

  /**
   * The non-blocking path, on the listener's I/O thread: an inline request (body in memory) to a
   * plain-HTTP target goes out from the loop and its answer, when small, goes back inline from the
   * loop; a large answer continues on a request thread. False (the request thread does it all):
   * no such path for this target, or {@code maxConcurrentRequests} requests in progress.
   */
  private boolean handleInline(InlineRequestHandler.Exchange ix) {
    if (async == null || closed || active.get() >= maxConcurrentRequests) {
      return false;
    }
    RelayHttpRequest request = ix.request();
    RelayHttpResponse response = ix.response();
    Track t = new Track(request.method(), request.path());
    byte[] body;
    byte[] wire;
    try {
      body = request.body().readAllBytes(); // in memory (inline form)
    } catch (IOException e) {
      t.cause = describe(e);
      ix.fail(e);
      t.finish(0, 0);
      return true;
    }
    try {
      Prepared p = prepare(request);
      wire = client.message(request.method(), p.origin, p.headers, body);
    } catch (BadRequest | IllegalArgumentException e) {
      try {
        failure(response, e, t);
        ix.complete();
      } catch (IOException | RuntimeException ex) {
        ix.fail(ex);
      }
      t.finish(body.length, 0);
      return true;
    }
    long in = body.length;
    async.send(ix.loop(), wire, request.method(), new AsyncTargetClient.Callback() {
      @Override
      public void complete(int status, Map<String, List<String>> headers, byte[] b, int n) {
        long out = 0;
        try {
          t.status = status;
          response.setStatus(status);
          HttpProxyHeaders.response(headers, (k, v) -> response.headers().put(k, v));
          response.body().write(b, 0, n);
          out = n;
          bytesOut.addAndGet(n);
          ix.complete();
        } catch (IOException | RuntimeException e) {
          t.cause = describe(e);
          ix.fail(e);
        } finally {
          t.finish(in, out);
        }
      }

      @Override
      public void stream(TargetHttpClient.Response r) {
        Exchange x = new Exchange(InputStream.nullInputStream());
        boolean run = ix.dispatch((req, res) -> {
          try {
            relay(r, res, x, t);
          } catch (RuntimeException | IOException e) {
            if (t.cause == null) {
              t.cause = describe(e);
            }
            throw e;
          } finally {
            t.finish(in, x.out);
          }
        });
        if (!run) {
          r.close();
          t.cause = "no request thread free";
          t.finish(in, 0);
        }
      }

      @Override
      public void failed(IOException e, boolean bodyStarted) {
        try {
          if (bodyStarted) {
            t.cause = e instanceof java.net.SocketTimeoutException
                ? "response body idle for " + ForwardLog.duration(requestTimeout) + ", cut"
                : "response body broken: " + describe(e);
            ix.fail(e);
          } else {
            failure(response, e, t);
            ix.complete();
          }
        } catch (IOException | RuntimeException ex) {
          ix.fail(ex);
        } finally {
          t.finish(in, 0);
        }
      }
    });
    return true;
  }

  /** One request's accounting and its log line. */
  private final class Track {
    final long started = System.nanoTime();
    final String id = "H-" + ids.incrementAndGet();
    final String method;
    final String logPath;
    int status;
    String cause;
    private boolean finished;

    Track(String method, String path) {
      this.method = method;
      int q = path.indexOf('?');
      this.logPath = q >= 0 ? path.substring(0, q) : path;
      active.incrementAndGet();
    }

    synchronized void finish(long in, long out) {
      if (finished) {
        return;
      }
      finished = true;
      active.decrementAndGet();
      total.incrementAndGet();
      bytesIn.addAndGet(in);
      if (cause != null) {
        failed.incrementAndGet();
      }
      if (!requests.isInfoEnabled()) {
        return;
      }
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      if (cause == null) {
        requests.info("{} {} {} -> {}, {} in, {} out, {}", id, method, logPath, status,
            ForwardLog.bytes(in), ForwardLog.bytes(out), ForwardLog.duration(took));
      } else {
        requests.info("{} {} {} -> {} ({}), {} in, {} out, {}", id, method, logPath,
            status == 0 ? "aborted" : status, cause, ForwardLog.bytes(in), ForwardLog.bytes(out),
            ForwardLog.duration(took));
      }
    }
  }

  /** Reads at least one byte, then what the stream has ready, up to the buffer; -1 at the end. */
  private static int fill(InputStream in, byte[] buf) throws IOException {
    int n = in.read(buf, 0, buf.length);
    if (n <= 0) {
      return n;
    }
    while (n < buf.length && in.available() > 0) {
      int m = in.read(buf, n, buf.length - n);
      if (m <= 0) {
        break;
      }
      n += m;
    }
    return n;
  }

  /** The request's target and headers as sent to the target. */
  private static final class Prepared {
    final String origin;
    final List<String[]> headers;

    Prepared(String origin, List<String[]> headers) {
      this.origin = origin;
      this.headers = headers;
    }
  }

  private Prepared prepare(RelayHttpRequest request) throws BadRequest {
    String rel = request.path();
    URI uri;
    try {
      uri = URI.create(targetBase + (rel.startsWith("/") ? rel.substring(1) : rel));
    } catch (IllegalArgumentException e) {
      throw new BadRequest("The request target is not a valid URI path.");
    }
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String origin = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    InetSocketAddress remote = request.remoteAddress();
    String ip = remote == null ? null : remote.getAddress() != null ? remote.getAddress().getHostAddress()
        : remote.getHostString();
    List<String[]> headers = new ArrayList<>(request.headers().size() + 5);
    HttpProxyHeaders.request(request.headers(), ip, proto, "/" + hybridConnection,
        (k, v) -> headers.add(new String[] {k, v}));
    return new Prepared(origin, headers);
  }

  private TargetHttpClient.Response send(RelayHttpRequest request, Exchange x) throws IOException {
    Prepared p = prepare(request);
    byte[] first;
    try {
      first = x.body.readNBytes(BUFFER);
    } catch (IOException e) {
      x.requestBodyFailed = true;
      throw new Exchange.BodyFailed(e);
    }
    try {
      if (first.length < BUFFER) {
        return client.send(request.method(), p.origin, p.headers, first, null);
      }
      return client.send(request.method(), p.origin, p.headers, null,
          new SequenceInputStream(new ByteArrayInputStream(first), x.body));
    } catch (IOException e) {
      if (x.requestBodyFailed || x.body.failed) {
        throw new Exchange.BodyFailed(e);
      }
      throw e;
    }
  }

  private static int error(RelayHttpResponse response, int status, String kind, String message) throws IOException {
    response.setStatus(status);
    response.headers().put("Content-Type", "text/plain; charset=utf-8");
    response.headers().put("Via", HttpProxyHeaders.VIA);
    response.headers().put("X-HybridRelay-Error", kind);
    try (OutputStream out = response.body()) {
      out.write((status + " " + (status == 502 ? "Bad Gateway" : status == 504 ? "Gateway Timeout" : "Bad Request")
          + ": " + message + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return status;
  }

  private static String describe(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && (c.getMessage() == null || c.getMessage().isBlank())) {
      c = c.getCause();
    }
    String m = c.getMessage();
    return m == null || m.isBlank() ? c.getClass().getSimpleName() : m;
  }

  private void cutIdle() {
    if (async != null) {
      async.checkTimeouts();
    }
    long limit = requestTimeout.toNanos();
    long now = System.nanoTime();
    for (Exchange x : streaming.keySet()) {
      if (now - x.lastProgress > limit) {
        x.cut();
      }
    }
  }

  /** The hybrid connection this forwarder listens on. */
  public String hybridConnection() {
    return hybridConnection;
  }

  /** The target, as configured. */
  public URI target() {
    return target;
  }

  /** Whether the relay listener is online now. */
  public boolean isOnline() {
    RelayListener l;
    synchronized (lock) {
      l = listener;
    }
    return l != null && l.isOnline();
  }

  /**
   * The counters: requests in progress ({@code activeConnections}), requests done, requests that
   * failed (an error answer from the forwarder or a broken body); request body bytes from the relay,
   * response body bytes to it. {@code refusedConnections} is always 0.
   */
  public ForwardStats stats() {
    return new ForwardStats(active.get(), total.get(), 0, failed.get(), bytesOut.get(), bytesIn.get());
  }

  /** Closes the listener; requests in progress are cut. Idempotent. */
  @Override
  public void close() {
    RelayListener l;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      l = listener;
    }
    watchdog.shutdownNow();
    client.close();
    if (async != null) {
      async.close();
    }
    if (l != null) {
      try {
        l.close();
      } catch (IOException e) {
        log.debug("Closing the listener of hybrid connection '{}' failed: {}", hybridConnection, e.toString());
      }
    }
    streaming.keySet().forEach(Exchange::cut);
  }

  @Override
  public String toString() {
    return "HttpForwarder[" + hybridConnection + " -> " + targetBase + "]";
  }

  /** A request target the HTTP client cannot send. */
  private static final class BadRequest extends IOException {
    BadRequest(String message) {
      super(message);
    }
  }

  /** One request in progress: the counted request body, the response body being copied. */
  private static final class Exchange {
    /** Reading the sender's request body failed: its connection broke, nobody to answer. */
    static final class BodyFailed extends IOException {
      BodyFailed(IOException cause) {
        super(cause.getMessage(), cause);
      }
    }

    final CountingInputStream body;
    volatile long lastProgress = System.nanoTime();
    volatile boolean idleCut;
    volatile InputStream responseBody;
    volatile boolean requestBodyFailed;
    long out;

    Exchange(InputStream requestBody) {
      this.body = new CountingInputStream(requestBody);
    }

    long in() {
      return body.count;
    }

    void touch() {
      lastProgress = System.nanoTime();
    }

    void startStreaming(InputStream in) {
      responseBody = in;
      touch();
    }

    void cut() {
      idleCut = true;
      InputStream in = responseBody;
      if (in != null) {
        try {
          in.close();
        } catch (IOException ignored) {
          // cutting anyway
        }
      }
    }
  }

  /** Configures an {@link HttpForwarder}. */
  public static final class Builder {
    private final RelayConnectionString connectionString;
    private String hybridConnection;
    private URI target;
    private boolean insecure;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration requestTimeout = Duration.ofSeconds(50);
    private int maxConcurrentRequests = 64;
    private Consumer<RelayListener.Builder> listenerCustomizer;

    private Builder(RelayConnectionString connectionString) {
      this.connectionString = connectionString;
    }

    /** The hybrid connection to listen on (default: the connection string's {@code EntityPath}). */
    public Builder hybridConnection(String name) {
      this.hybridConnection = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * The service: {@code http://host:port/[path/]} or {@code https://…}. Its path is the prefix that
     * each request's path below the hybrid connection is appended to.
     *
     * @throws IllegalArgumentException if the scheme is not http or https, or there is no host, or
     *     the URI has a query or fragment
     */
    public Builder target(URI target) {
      Objects.requireNonNull(target, "target");
      String s = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
      if (!s.equals("http") && !s.equals("https")) {
        throw new IllegalArgumentException("The HTTP target must be an http:// or https:// URI, was scheme '" + s + "'");
      }
      if (target.getHost() == null) {
        throw new IllegalArgumentException("The HTTP target has no host: " + target);
      }
      if (target.getRawQuery() != null || target.getRawFragment() != null) {
        throw new IllegalArgumentException("The HTTP target cannot have a query or fragment: " + target);
      }
      this.target = target;
      return this;
    }

    /** Skips certificate and host name verification of an https target (azbridge's {@code Insecure}). Default false. */
    public Builder insecure(boolean insecure) {
      this.insecure = insecure;
      return this;
    }

    /** How long connecting to the target may take before the sender gets 504 (default 10 s). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * How long the target may take to send the response head (then 504), and how long a response
     * body may stay idle before it is cut. Default 50 s.
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /** Requests forwarded at once (default 64); see the class documentation. */
    public Builder maxConcurrentRequests(int max) {
      if (max <= 0) {
        throw new IllegalArgumentException("maxConcurrentRequests <= 0: " + max);
      }
      this.maxConcurrentRequests = max;
      return this;
    }

    /** Adjusts the relay listener (keep-alive interval, events) before it is built. */
    public Builder listenerCustomizer(Consumer<RelayListener.Builder> customizer) {
      this.listenerCustomizer = customizer;
      return this;
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + d);
      }
      return d;
    }

    /** Builds the forwarder; call {@link HttpForwarder#start()} next. */
    public HttpForwarder build() {
      return new HttpForwarder(this);
    }
  }
}
