package dev.hybridrelay.server.internal;

import dev.hybridrelay.server.AccessRights;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sender's plain HTTP connection in request mode (protocol §3.7, §4.2): every request to
 * {@code /{hc}[/suffix][?query]} becomes an {@link HttpExchange} with one listener. Requests on one
 * connection are served one after the other (keep-alive); a pipelined request waits, unread, until
 * the one before it is answered. Runs on the connection's event loop.
 *
 * <p>Reading from the sender stops whenever the current exchange cannot take request data (its
 * rendezvous socket is not writable) or more than {@value #READ_QUEUED} bytes of pipelined
 * requests wait; while a response is pending, reading goes on (so that a keep-alive connection
 * costs no read-interest change per request) and whatever arrives waits in order.
 */
final class HttpRelayHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HttpRelayHandler.class);
  private static final long MAX_QUEUED = 1 << 20;
  /** Pipelined request data above which reading pauses. */
  private static final long READ_QUEUED = 64 * 1024;
  /** What a queued message other than body content counts (its share of the request head). */
  private static final long MESSAGE_COST = 256;

  /** Headers that never cross the relay (RFC 7230 connection-level headers and framing). */
  static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
      "transfer-encoding", "te", "trailer", "upgrade", "close", "content-length", "expect",
      "proxy-authenticate", "proxy-authorization");

  private final RelayEngine engine;
  private ChannelHandlerContext ctx;
  private HttpExchange current;
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  private long queuedBytes;
  private boolean closing;
  private ScheduledFuture<?> idleTimer;
  /** The last token that passed validation on this connection, and what it was checked against. */
  private String authToken;
  private String authHost;
  private String authPath;
  private HybridConnection authHc;
  private java.util.List<AuthRule> authRules;
  private long authExpiresAt;

  HttpRelayHandler(RelayEngine engine) {
    this.engine = engine;
  }

  /** Whether the first request of a connection is for request mode (not a WebSocket endpoint). */
  static boolean isRelayedRequest(HttpRequest req) {
    if (WebSocketUpgrade.isWebSocketUpgrade(req)) {
      return false;
    }
    String target = originForm(req.uri());
    if (target == null) {
      return false;
    }
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    return !path.startsWith("/$hc/") && !path.equals("/$hc")
        && !HandshakeHandler.trimSlashes(path).isEmpty();
  }

  /** The origin-form target ({@code /path?query}) of an origin- or absolute-form target; null if malformed. */
  static String originForm(String uri) {
    if (uri.startsWith("/")) {
      return uri;
    }
    try {
      URI u = new URI(uri);
      return (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
          + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    } catch (URISyntaxException e) {
      return null;
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (!queue.isEmpty() || (current != null && !current.wantsContent())) {
      queue.add(msg);
      queuedBytes += cost(msg);
      if (queuedBytes > MAX_QUEUED) {
        log.info("HTTP sender {} pipelined more than {} bytes; dropping the connection",
            ctx.channel().remoteAddress(), MAX_QUEUED);
        close(true);
        return;
      }
      updateRead();
      return;
    }
    dispatch(msg);
    updateRead();
  }

  private static long cost(Object msg) {
    return msg instanceof HttpContent c && !(msg instanceof HttpRequest)
        ? Math.max(c.content().readableBytes(), 1) : MESSAGE_COST;
  }

  private void dispatch(Object msg) {
    if (current != null && msg instanceof HttpContent c) {
      current.onRequestContent(c);
      return;
    }
    if (msg instanceof HttpRequest req) {
      startRequest(req);
      if (msg instanceof HttpContent c) {
        // a request with its content in one object (the codec never makes one; handled anyway)
        if (current != null) {
          current.onRequestContent(new io.netty.handler.codec.http.DefaultLastHttpContent(c.content().retain()));
        }
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    ReferenceCountUtil.release(msg); // content of a request that was already answered
  }

  /** Sets auto-read to whether this connection can take more data now. */
  void updateRead() {
    if (ctx == null) {
      return;
    }
    boolean want;
    if (closing) {
      want = true; // notice the close
    } else if (!queue.isEmpty()) {
      want = queuedBytes < READ_QUEUED;
    } else if (current == null || !current.wantsContent()) {
      want = true; // no request or its response pending: the next one waits in the queue
    } else {
      want = current.readyForContent();
    }
    if (ctx.channel().config().isAutoRead() != want) {
      ctx.channel().config().setAutoRead(want);
    }
  }

  private void error(int status, String code, String message, String trackingId, String hcName) {
    closing = true;
    releaseQueue();
    HttpErrors.send(ctx, engine, status, code, message, trackingId, hcName);
  }

  private void startRequest(HttpRequest req) {
    cancelIdle();
    ConnectionGuard guard = ctx.pipeline().get(ConnectionGuard.class);
    if (guard != null) {
      guard.upgraded();
    }
    String trackingId = engine.errors.trackingId(null);
    if (req.decoderResult().isFailure()) {
      Throwable cause = req.decoderResult().cause();
      if (cause instanceof TooLongHttpLineException) {
        error(414, HttpErrors.BAD_REQUEST, "The request line is too long.", trackingId, "");
      } else if (cause instanceof TooLongFrameException) {
        error(431, HttpErrors.BAD_REQUEST, "The request headers are too large.", trackingId, "");
      } else {
        error(400, HttpErrors.BAD_REQUEST, "Malformed HTTP request.", trackingId, "");
      }
      return;
    }
    String target = originForm(req.uri());
    if (target == null) {
      error(400, HttpErrors.BAD_REQUEST, "Malformed request target.", trackingId, "");
      return;
    }
    int q = target.indexOf('?');
    String rawPath = q < 0 ? target : target.substring(0, q);
    String path;
    Query query;
    try {
      path = PercentCodec.decode(rawPath, false);
      query = Query.parse(q < 0 ? null : target.substring(q + 1), true);
    } catch (IllegalArgumentException e) {
      error(400, HttpErrors.BAD_REQUEST, "Malformed request target (bad percent-encoding).", trackingId, "");
      return;
    }
    trackingId = engine.errors.trackingId(query.first("sb-hc-id"));
    String hcPath = HandshakeHandler.trimSlashes(path);
    if (WebSocketUpgrade.isWebSocketUpgrade(req) || HttpMethod.CONNECT.equals(req.method())
        || path.startsWith("/$hc/") || hcPath.isEmpty()) {
      error(400, HttpErrors.BAD_REQUEST, "Request mode takes plain HTTP requests to /{hybrid-connection}[/...]; "
          + "WebSocket upgrades go to /$hc/{hybrid-connection} on a new connection.", trackingId, hcPath);
      return;
    }
    if (engine.closing()) {
      error(503, HttpErrors.BUSY, "The relay is shutting down.", trackingId, hcPath);
      return;
    }
    HybridConnectionRegistry.Resolved resolved = engine.registry.resolve(hcPath);
    HybridConnection hc = resolved.hc();
    boolean consumedAuthorization = false;
    if (hc == null || hc.requiresClientAuthorization()) {
      String token = query.first("sb-hc-token");
      if (token == null) {
        token = req.headers().get("ServiceBusAuthorization");
      }
      if (token == null) {
        token = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        consumedAuthorization = token != null;
      }
      String hostHeader = req.headers().get(HttpHeaderNames.HOST);
      java.util.List<AuthRule> rules = HandshakeHandler.rulesFor(engine, hc);
      long now = engine.nowEpochSeconds();
      long skew = engine.settings.tokenClockSkew().toSeconds();
      SasTokenValidator.Result auth;
      if (token != null && token.equals(authToken) && java.util.Objects.equals(hostHeader, authHost)
          && hcPath.equals(authPath) && hc == authHc && sameRules(rules, authRules)
          && authExpiresAt > now - skew) {
        // keep-alive: the same token for the same target, already checked against the same rules
        auth = new SasTokenValidator.Result(SasTokenValidator.Outcome.VALID, "", authExpiresAt);
      } else {
        auth = engine.validator.validate(token, engine.hostNames(hostHeader), hcPath, AccessRights.SEND,
            rules, now, skew);
        authToken = null;
        if (auth.valid()) {
          authToken = token;
          authHost = hostHeader;
          authPath = hcPath;
          authHc = hc;
          authRules = rules;
          authExpiresAt = auth.expiresAt();
        }
      }
      if (!auth.valid()) {
        log.info("HTTP request to '{}' refused: {}", RelayErrors.sanitize(hcPath), auth.message());
        boolean forbidden = auth.outcome() == SasTokenValidator.Outcome.FORBIDDEN;
        error(forbidden ? 403 : 401, HttpErrors.TOKEN, auth.message(), trackingId, resolved.name());
        return;
      }
    }
    if (hc == null) {
      error(404, HttpErrors.NOT_FOUND, "Endpoint does not exist.", trackingId, hcPath);
      return;
    }
    ControlChannelHandler listener = hc.pickListener();
    if (listener == null) {
      error(404, HttpErrors.NOT_FOUND, "There are no listeners connected for the endpoint.", trackingId,
          hc.name());
      return;
    }
    if (engine.httpRequests.incrementAndGet() > engine.settings.maxHttpRequests()) {
      engine.httpRequests.decrementAndGet();
      log.warn("HTTP request to '{}' refused: {} requests in progress (maxHttpRequests)", hc.name(),
          engine.settings.maxHttpRequests());
      error(503, HttpErrors.BUSY, "Too many HTTP requests in progress on the relay.", trackingId, hc.name());
      return;
    }
    if (!listener.tryAcquireHttp(engine.settings.maxHttpRequestsPerListener())) {
      engine.httpRequests.decrementAndGet();
      log.warn("HTTP request to '{}' refused: listener {} has {} requests in progress "
          + "(maxHttpRequestsPerListener)", hc.name(), listener.trackingId(),
          engine.settings.maxHttpRequestsPerListener());
      error(503, HttpErrors.BUSY, "The listener has too many HTTP requests in progress.", trackingId,
          hc.name());
      return;
    }
    long length = HttpUtil.getContentLength(req, -1L);
    boolean chunked = HttpUtil.isTransferEncodingChunked(req);
    boolean hasBody = chunked || length > 0;
    boolean inline = !chunked && length <= HttpExchange.INLINE_LIMIT;

    String httpQuery = query.httpQuery();
    InetSocketAddress ra = engine.settings.frontend().clientAddress(ctx.channel(), req.headers());
    RequestMessage message = new RequestMessage(rawPath + (httpQuery.isEmpty() ? "" : "?" + httpQuery),
        req.method().name(), ra.getAddress().getHostAddress(), ra.getPort(),
        requestHeaders(req, consumedAuthorization, engine.settings.advertisedHost()));

    HttpExchange x = new HttpExchange(engine, this, ctx, req, hc, listener, inline, hasBody, message);
    x.id = listener.registerHttp(x, trackingId);
    current = x;
    String rawHcPath = HandshakeHandler.trimSlashes(rawPath);
    String address = engine.scheme() + "://" + engine.authority() + "/$hc/" + rawHcPath
        + "?sb-hc-action=request&sb-hc-id=" + PercentCodec.encode(x.id) + "&"
        + HandshakeHandler.SECRET_PARAM + "=" + x.secret;
    log.debug("HTTP request {} {} to '{}' ({} form) offered to listener {}", x.id, req.method(), hc.name(),
        inline ? "inline" : "rendezvous", listener.trackingId());
    x.start(address);
  }

  /** Whether two rule lists hold the same rule objects (rules are immutable; a changed key is a new rule). */
  private static boolean sameRules(java.util.List<AuthRule> a, java.util.List<AuthRule> b) {
    if (a == b) {
      return true;
    }
    if (a == null || b == null || a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The sender's headers as the listener sees them: relay credentials (and {@code Authorization} when
   * it was the credential) and connection-level headers removed, repeated headers comma-joined,
   * {@code Via} extended with the relay's host. {@code Host} is kept.
   */
  static List<String[]> requestHeaders(HttpRequest req, boolean dropAuthorization, String host) {
    List<String> named = null;
    for (String v : req.headers().getAll(HttpHeaderNames.CONNECTION)) {
      for (String t : v.split(",")) {
        if (named == null) {
          named = new ArrayList<>(2);
        }
        named.add(t.trim().toLowerCase(Locale.ROOT));
      }
    }
    List<String[]> out = new ArrayList<>(req.headers().size() + 1);
    // lower-case name -> entry, once there are enough entries for a linear search to cost more
    Map<String, String[]> index = null;
    List<String> lowers = new ArrayList<>(req.headers().size() + 1);
    for (Map.Entry<String, String> e : req.headers()) {
      String lower = e.getKey().toLowerCase(Locale.ROOT);
      if (lower.equals("servicebusauthorization") || (dropAuthorization && lower.equals("authorization"))
          || HOP_BY_HOP.contains(lower) || (named != null && named.contains(lower))) {
        continue;
      }
      String[] existing = find(out, lowers, index, lower);
      if (existing == null) {
        String[] nv = {e.getKey(), e.getValue()};
        out.add(nv);
        lowers.add(lower);
        if (index != null) {
          index.put(lower, nv);
        } else if (out.size() > INDEX_AFTER) {
          index = new HashMap<>();
          for (int i = 0; i < out.size(); i++) {
            index.putIfAbsent(lowers.get(i), out.get(i));
          }
        }
      } else {
        existing[1] = existing[1] + ", " + e.getValue();
      }
    }
    String ours = "1.1 " + host;
    String[] via = find(out, lowers, index, "via");
    if (via == null) {
      out.add(new String[] {"Via", ours});
    } else {
      via[1] = via[1] + ", " + ours;
    }
    return out;
  }

  private static final int INDEX_AFTER = 16;

  private static String[] find(List<String[]> out, List<String> lowers, Map<String, String[]> index, String lower) {
    if (index != null) {
      return index.get(lower);
    }
    for (int i = 0; i < lowers.size(); i++) {
      if (lowers.get(i).equals(lower)) {
        return out.get(i);
      }
    }
    return null;
  }

  /** The exchange answered completely; with {@code reusable} the next request may follow. */
  void exchangeFinished(HttpExchange x, boolean reusable) {
    if (current != x) {
      return;
    }
    current = null;
    if (!reusable) {
      close(false);
      return;
    }
    while (!queue.isEmpty() && !closing && (current == null || current.wantsContent())) {
      Object m = queue.poll();
      queuedBytes -= cost(m);
      dispatch(m);
    }
    if (current == null && queue.isEmpty() && !closing) {
      scheduleIdle();
    }
    updateRead();
  }

  /** The exchange failed (it already answered or dropped the connection). */
  void exchangeFailed(HttpExchange x) {
    if (current == x) {
      current = null;
      closing = true;
      releaseQueue();
    }
  }

  private void close(boolean abort) {
    closing = true;
    releaseQueue();
    if (abort) {
      RelayEngine.abort(ctx.channel());
    } else {
      RelayEngine.closeAfterFlush(ctx.channel());
    }
  }

  private void scheduleIdle() {
    long timeout = engine.settings.handshakeTimeout().toNanos();
    idleTimer = ctx.executor().schedule(engine.guarded(() -> {
      if (current == null && queue.isEmpty() && !closing) {
        log.debug("Idle HTTP keep-alive connection from {} closed", ctx.channel().remoteAddress());
        close(false);
      }
    }), timeout, TimeUnit.NANOSECONDS);
  }

  private void cancelIdle() {
    if (idleTimer != null) {
      idleTimer.cancel(false);
      idleTimer = null;
    }
  }

  private void releaseQueue() {
    while (!queue.isEmpty()) {
      ReferenceCountUtil.release(queue.poll());
    }
    queuedBytes = 0;
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    HttpExchange x = current;
    if (x != null) {
      x.maybeResumeRendezvous();
    }
    super.channelWritabilityChanged(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    closing = true;
    cancelIdle();
    HttpExchange x = current;
    current = null;
    if (x != null) {
      x.onSenderGone();
    }
    releaseQueue();
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    engine.onException(ctx.channel(), cause);
  }
}
