package dev.hybridrelay.server.internal;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.hybridrelay.server.AccessRights;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one HTTP/1.1 request: {@code /$hc/{hc}[/{suffix}]} WebSocket upgrades with
 * {@code sb-hc-action} = {@code listen}, {@code connect} (or none), {@code accept} and
 * {@code request}; plain HTTP requests to {@code /{hc}[/…]} are handed to {@link HttpRelayHandler}
 * (request mode); everything else gets a plain HTTP error. Runs on the connection's event loop. A sender's request stays here
 * (its 101 not yet written) until the rendezvous is decided.
 */
final class HandshakeHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HandshakeHandler.class);
  private static final String HC_PREFIX = "/$hc/";
  static final String SECRET_PARAM = "sb-hc-rendezvous";

  private final RelayEngine engine;
  private HttpRequest request;
  private boolean routed;
  private Rendezvous held;

  HandshakeHandler(RelayEngine engine) {
    this.engine = engine;
  }

  static List<AuthRule> rulesFor(RelayEngine engine, HybridConnection hc) {
    if (hc == null || hc.rules().isEmpty()) {
      return engine.settings.namespaceRules();
    }
    List<AuthRule> all = new ArrayList<>(engine.settings.namespaceRules());
    all.addAll(hc.rules());
    return all;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest req && request == null && !req.decoderResult().isFailure()
        && HttpRelayHandler.isRelayedRequest(req)) {
      // Request mode: this connection carries plain HTTP requests from now on.
      routed = true;
      HttpRelayHandler relay = new HttpRelayHandler(engine);
      ctx.pipeline().replace(this, "http-relay", relay);
      relay.channelRead(ctx.pipeline().context(relay), msg);
      return;
    }
    try {
      if (msg instanceof HttpRequest req) {
        if (req.decoderResult().isFailure()) {
          Throwable cause = req.decoderResult().cause();
          routed = true;
          if (cause instanceof TooLongHttpLineException) {
            refuse(ctx, 414, "The request line is too long.");
          } else if (cause instanceof TooLongFrameException) {
            refuse(ctx, 431, "The request headers are too large.");
          } else {
            refuse(ctx, 400, "Malformed HTTP request.");
          }
          return;
        }
        if (request == null) {
          request = req;
        }
      }
      if (msg instanceof LastHttpContent && request != null && !routed) {
        routed = true;
        route(ctx, request);
      }
    } finally {
      if (msg instanceof HttpContent) {
        ReferenceCountUtil.release(msg);
      }
    }
  }

  private void refuse(ChannelHandlerContext ctx, int status, String text) {
    engine.metrics.refused(status);
    String reason = HttpResponseStatus.valueOf(status).reasonPhrase();
    WebSocketUpgrade.refuse(ctx, status, reason, text);
  }

  private void refuseTracked(ChannelHandlerContext ctx, int status, String message,
      String trackingId, String hcName) {
    engine.metrics.refused(status);
    String reason = engine.errors.reason(message, trackingId, hcName);
    WebSocketUpgrade.refuse(ctx, status, reason, reason);
  }

  private void route(ChannelHandlerContext ctx, HttpRequest req) {
    String uri = req.uri();
    if (!uri.startsWith("/")) {
      try {
        URI u = new URI(uri);
        uri = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
            + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
      } catch (URISyntaxException e) {
        refuse(ctx, 400, "Malformed request target.");
        return;
      }
    }
    int q = uri.indexOf('?');
    String rawPath = q < 0 ? uri : uri.substring(0, q);
    String rawQuery = q < 0 ? null : uri.substring(q + 1);
    String path;
    Query query;
    try {
      path = PercentCodec.decode(rawPath, false);
      query = Query.parse(rawQuery);
    } catch (IllegalArgumentException e) {
      refuse(ctx, 400, "Malformed request target (bad percent-encoding).");
      return;
    }
    if (engine.closing()) {
      refuse(ctx, 503, "The relay is shutting down.");
      return;
    }
    boolean upgrade = WebSocketUpgrade.isWebSocketUpgrade(req);
    if (!path.startsWith(HC_PREFIX)) {
      String trimmed = trimSlashes(path);
      refuse(ctx, 404, "Not found. This local relay serves Hybrid Connections WebSocket endpoints "
          + "at /$hc/{hybrid-connection}[/{suffix}] (sb-hc-action=listen|connect|accept|request) and "
          + "HTTP requests at /{hybrid-connection}[/...]"
          + (trimmed.isEmpty() ? "." : "; WebSocket upgrades to /" + trimmed + " are not relayed."));
      return;
    }
    String hcPath = trimSlashes(path.substring(HC_PREFIX.length()));
    int rawStart = rawPath.indexOf('/', 1);
    String rawHcPath = rawStart < 0 ? "" : trimSlashes(rawPath.substring(rawStart + 1));
    if (!upgrade) {
      refuse(ctx, 400, "A WebSocket upgrade request is required at /$hc/... (Upgrade: websocket).");
      return;
    }
    if (!HttpMethod.GET.equals(req.method())) {
      refuse(ctx, 405, "WebSocket upgrades must use GET.");
      return;
    }
    if (!"13".equals(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
      engine.metrics.refused(426);
      WebSocketUpgrade.refuse(ctx, 426, "Upgrade Required",
          "Only WebSocket version 13 is supported (Sec-WebSocket-Version: 13).");
      return;
    }
    String key = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
    if (!validKey(key)) {
      refuse(ctx, 400, "Missing or invalid Sec-WebSocket-Key.");
      return;
    }
    String action = query.first("sb-hc-action");
    if (action == null || action.equals("connect")) {
      connect(ctx, req, query, hcPath, rawHcPath);
    } else if (action.equals("listen")) {
      listen(ctx, req, query, hcPath);
    } else if (action.equals("accept")) {
      rendezvous(ctx, req, query);
    } else if (action.equals("request")) {
      httpRendezvous(ctx, req, query);
    } else {
      refuse(ctx, 400, "Unsupported sb-hc-action (expected listen, connect, accept or request).");
    }
  }

  private static boolean validKey(String key) {
    if (key == null) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(key.trim()).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  static String trimSlashes(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && s.charAt(b) == '/') {
      b++;
    }
    while (e > b && s.charAt(e - 1) == '/') {
      e--;
    }
    return s.substring(b, e);
  }

  private String token(HttpRequest req, Query query) {
    String header = req.headers().get("ServiceBusAuthorization");
    if (header != null) {
      return header;
    }
    return query.first("sb-hc-token");
  }

  private SasTokenValidator.Result authorize(HttpRequest req, Query query, HybridConnection hc,
      String target, AccessRights right) {
    return engine.validator.validate(token(req, query),
        engine.hostNames(req.headers().get(HttpHeaderNames.HOST)), target, right,
        rulesFor(engine, hc), engine.nowEpochSeconds(), engine.settings.tokenClockSkew().toSeconds());
  }

  // ---- listen --------------------------------------------------------------------------------

  private void listen(ChannelHandlerContext ctx, HttpRequest req, Query query, String hcPath) {
    String trackingId = engine.errors.trackingId(query.first("sb-hc-id"));
    if (hcPath.isEmpty()) {
      refuseTracked(ctx, 404, "Endpoint does not exist.", trackingId, hcPath);
      return;
    }
    HybridConnection hc = engine.registry.exact(hcPath);
    SasTokenValidator.Result auth = authorize(req, query, hc, hcPath, AccessRights.LISTEN);
    if (!auth.valid()) {
      log.info("Listen on '{}' refused: {}", RelayErrors.sanitize(hcPath), auth.message());
      refuseTracked(ctx, auth.outcome() == SasTokenValidator.Outcome.FORBIDDEN ? 403 : 401,
          auth.message(), trackingId, hcPath);
      return;
    }
    if (hc == null) {
      if (!engine.registry.autoCreate() || !RelayNames.isValidHybridConnectionName(hcPath)) {
        refuseTracked(ctx, 404, "Endpoint does not exist.", trackingId, hcPath);
        return;
      }
      hc = engine.registry.getOrCreate(hcPath);
      log.info("Auto-created hybrid connection '{}'", hc.name());
    }
    Set<String> hosts = engine.hostNames(req.headers().get(HttpHeaderNames.HOST));
    ControlChannelHandler control =
        new ControlChannelHandler(engine, hc, trackingId, auth.expiresAt(), hosts);
    int max = engine.settings.maxListenersPerHybridConnection();
    HybridConnection.PortNames ports = HybridConnection.PortNames.of(query);
    if (!hc.tryAddListener(control, max, ports)) {
      log.info("Listen on '{}' refused: {} listeners already connected", hc.name(), max);
      refuseTracked(ctx, 403, "QuotaExceeded: MaximumListenersPerEndpoint: the hybrid connection "
          + "already has the maximum number of listeners (" + max + ").", trackingId, hc.name());
      return;
    }
    WebSocketUpgrade.complete(ctx, req, null, engine.settings.maxControlMessageSize(), "control", control);
    engine.metrics.listenerConnected();
    log.info("Listener {} connected to '{}' ({} listener(s)){}", trackingId, hc.name(), hc.listenerCount(),
        ports == null ? "" : ", port names " + RelayErrors.sanitize(String.join(", ", ports.names()))
            + (ports.anyNumeric() ? " and any numeric" : ""));
  }

  // ---- connect (sender) ----------------------------------------------------------------------

  private void connect(ChannelHandlerContext ctx, HttpRequest req, Query query, String hcPath,
      String rawHcPath) {
    String trackingId = engine.errors.trackingId(query.first("sb-hc-id"));
    HybridConnectionRegistry.Resolved resolved = engine.registry.resolve(hcPath);
    HybridConnection hc = resolved.hc();
    if (hc == null || hc.requiresClientAuthorization()) {
      SasTokenValidator.Result auth = authorize(req, query, hc, hcPath, AccessRights.SEND);
      if (!auth.valid()) {
        log.info("Connect to '{}' refused: {}", RelayErrors.sanitize(hcPath), auth.message());
        refuseTracked(ctx, auth.outcome() == SasTokenValidator.Outcome.FORBIDDEN ? 403 : 401,
            auth.message(), trackingId, resolved.name());
        return;
      }
    }
    if (hc == null) {
      refuseTracked(ctx, 404, "Endpoint does not exist.", trackingId, hcPath);
      return;
    }
    String portName = engine.settings.randomListenerChoice() ? null
        : query.first(HybridConnection.PortNames.PORT_PARAM);
    ControlChannelHandler listener = hc.pickListener(portName, Set.of());
    if (listener == null) {
      refuseTracked(ctx, 404, portName == null || hc.listenerCount() == 0
          ? "There are no listeners connected for the endpoint."
          : "None of the listeners connected for the endpoint serves port name '"
              + RelayErrors.sanitize(portName) + "'.", trackingId, hc.name());
      return;
    }
    String secret = engine.newSecret();
    Rendezvous rv = new Rendezvous(secret, trackingId, hc, ctx, req);
    engine.rendezvous.put(secret, rv);
    held = rv;
    ConnectionGuard guard = ctx.pipeline().get(ConnectionGuard.class);
    if (guard != null) {
      guard.requestReceived();
    }
    rv.timeout(ctx.executor().schedule(engine.guarded(() -> rv.expire(engine)),
        engine.settings.acceptTimeout().toNanos(), TimeUnit.NANOSECONDS));

    String address = engine.scheme() + "://" + engine.authority() + "/$hc/" + rawHcPath + "?"
        + query.appQueryPrefix() + "sb-hc-action=accept&sb-hc-id=" + PercentCodec.encode(trackingId)
        + "&" + SECRET_PARAM + "=" + secret;
    InetSocketAddress ra = engine.settings.frontend().clientAddress(ctx.channel(), req.headers());
    String json = acceptJson(address, trackingId, connectHeaders(req), ra.getAddress().getHostAddress(), ra.getPort());
    offer(rv, json, listener, portName, java.util.concurrent.ConcurrentHashMap.newKeySet());
  }

  /**
   * The {@code accept} notification, {@code {"accept":{"address":…,"id":…,"connectHeaders":{…},
   * "remoteEndpoint":{"address":…,"port":…}}}}, written straight into one string (this runs once per
   * sender connect; a Jackson tree and its serializer cost several times more). Strings are escaped
   * by Jackson's own encoder, so the text is what {@code ObjectNode.toString()} gave.
   */
  static String acceptJson(String address, String id, Map<String, String> headers, String remoteAddress,
      int remotePort) {
    StringBuilder b = new StringBuilder(256 + address.length());
    b.append("{\"accept\":{\"address\":");
    quote(b, address);
    b.append(",\"id\":");
    quote(b, id);
    b.append(",\"connectHeaders\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (!first) {
        b.append(',');
      }
      first = false;
      quote(b, e.getKey());
      b.append(':');
      quote(b, e.getValue());
    }
    b.append("},\"remoteEndpoint\":{\"address\":");
    quote(b, remoteAddress);
    b.append(",\"port\":").append(remotePort).append("}}}");
    return b.toString();
  }

  private static void quote(StringBuilder b, String s) {
    b.append('"');
    JsonStringEncoder.getInstance().quoteAsString(s, b);
    b.append('"');
  }

  /**
   * Sends the {@code accept} notification to {@code listener}. A listener whose control channel
   * closed before the notification could be written (it was closing while it was chosen) never saw
   * the offer, so it goes to another open listener; when none is left the sender gets 404, as if it
   * had come a moment later.
   *
   * <p>A listener whose control channel closes after the offer was written but before the
   * rendezvous is decided (its process died, or it lost the connection) most likely never answers:
   * the same offer, with the same single-use address, then goes to another open listener that
   * serves the port name. If the first listener still answers (a channel the relay itself closed
   * while the listener lives on), whichever answer arrives first takes the rendezvous and the other
   * gets 403. With no other listener left the accept timeout decides, as before.
   */
  private void offer(Rendezvous rv, String json, ControlChannelHandler listener, String portName,
      java.util.Set<ControlChannelHandler> tried) {
    tried.add(listener);
    log.debug("Connection {} to '{}' offered to listener {}", rv.trackingId, rv.hc.name(), listener.trackingId());
    listener.sendAccept(json).addListener(f -> {
      if (f.isSuccess()) {
        watch(rv, json, listener, portName, tried, ((io.netty.channel.ChannelFuture) f).channel());
        return;
      }
      if (!rv.pending()) {
        return;
      }
      ControlChannelHandler next = rv.hc.pickListener(portName, tried);
      if (next == null) {
        // the listener went away before it saw the offer: as if the sender came a moment later
        rv.failSender(engine, 404, "There are no listeners connected for the endpoint.");
      } else {
        log.debug("Connection {}: listener {} closed before the offer; trying another", rv.trackingId,
            listener.trackingId());
        offer(rv, json, next, portName, tried);
      }
    });
  }

  /** Re-offers {@code rv} if {@code control} closes while it is still undecided. */
  private void watch(Rendezvous rv, String json, ControlChannelHandler listener, String portName,
      java.util.Set<ControlChannelHandler> tried, Channel control) {
    io.netty.util.concurrent.GenericFutureListener<io.netty.util.concurrent.Future<? super Void>> onClose =
        c -> {
          if (!rv.pending()) {
            return;
          }
          ControlChannelHandler next = rv.hc.pickListener(portName, tried);
          if (next == null) {
            log.debug("Connection {}: listener {} closed with the offer pending; no other listener, "
                + "the accept timeout decides", rv.trackingId, listener.trackingId());
            return;
          }
          log.info("Connection {}: listener {} closed with the offer pending; offered again to {}",
              rv.trackingId, listener.trackingId(), next.trackingId());
          offer(rv, json, next, portName, tried);
        };
    control.closeFuture().addListener(onClose);
    rv.onDecided(() -> control.closeFuture().removeListener(onClose));
  }

  /** Every header of the sender's handshake except the relay credential; repeats comma-joined. */
  static Map<String, String> connectHeaders(HttpRequest req) {
    Map<String, String[]> byLower = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : req.headers()) {
      String lower = e.getKey().toLowerCase(Locale.ROOT);
      if (lower.equals("servicebusauthorization")) {
        continue;
      }
      String[] existing = byLower.get(lower);
      if (existing == null) {
        byLower.put(lower, new String[] {e.getKey(), e.getValue()});
      } else {
        existing[1] = existing[1] + ", " + e.getValue();
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String[] nv : byLower.values()) {
      out.put(nv[0], nv[1]);
    }
    return out;
  }

  // ---- HTTP request rendezvous ---------------------------------------------------------------

  private void httpRendezvous(ChannelHandlerContext ctx, HttpRequest req, Query query) {
    String secret = query.first(SECRET_PARAM);
    HttpExchange x = secret == null ? null : engine.httpRendezvous.remove(secret);
    if (x == null) {
      refuseTracked(ctx, 403, "The rendezvous address is not valid: it is unknown, expired or "
          + "already used.", engine.errors.trackingId(query.first("sb-hc-id")), "");
      return;
    }
    Channel rendezvous = ctx.channel();
    Runnable open = () -> {
      HttpRendezvousHandler handler = new HttpRendezvousHandler(engine, x);
      // the response body passes on as it arrives, not once per frame (StreamingFrameDecoder)
      WebSocketUpgrade.complete(ctx, req, null, "http-rendezvous", handler,
          new StreamingFrameDecoder(engine.settings.maxFramePayload()));
      x.postRendezvousOpened(rendezvous);
      log.debug("HTTP request {}: the listener opened its rendezvous connection", x.id);
    };
    EventLoop senderLoop = x.ctx.channel().eventLoop();
    if (rendezvous.eventLoop() == senderLoop) {
      open.run();
      return;
    }
    // As for stream pairs: the rendezvous socket on the sender's I/O thread, so that every body
    // frame goes on to the sender by a direct write, not by a task handed to another thread (the
    // Performance page, "HTTP forwarding", ninth round). The listener waits for the 101, so no frame
    // arrives while the socket moves.
    moveToLoop(rendezvous, senderLoop,
        engine.guarded(open),
        () -> rendezvous.eventLoop().execute(engine.guarded(open)),
        cause -> {
          log.debug("HTTP request {}: could not move the rendezvous connection: {}", x.id, cause);
          rendezvous.close();
          x.postRendezvousGone("The listener's rendezvous connection failed.");
        });
  }

  // ---- accept / reject (rendezvous) ----------------------------------------------------------

  private void rendezvous(ChannelHandlerContext ctx, HttpRequest req, Query query) {
    String secret = query.first(SECRET_PARAM);
    Rendezvous rv = secret == null ? null : engine.rendezvous.get(secret);
    if (rv == null) {
      refuseTracked(ctx, 403, "The rendezvous address is not valid: it is unknown, expired or "
          + "already used.", engine.errors.trackingId(query.first("sb-hc-id")), "");
      return;
    }
    String statusParam = query.first("sb-hc-statusCode");
    if (statusParam != null) {
      int status;
      try {
        status = Integer.parseInt(statusParam.trim());
      } catch (NumberFormatException e) {
        status = -1;
      }
      if (status < 300 || status > 599) {
        refuseTracked(ctx, 400, "sb-hc-statusCode must be an HTTP status between 300 and 599.",
            rv.trackingId, rv.hc.name());
        return;
      }
      String description = query.first("sb-hc-statusDescription");
      if (description == null || description.isEmpty()) {
        description = HttpResponseStatus.valueOf(status).reasonPhrase();
      }
      if (!rv.finish(engine, Rendezvous.State.REJECTED)) {
        refuseTracked(ctx, 403, "The rendezvous address is not valid: it is unknown, expired or "
            + "already used.", rv.trackingId, rv.hc.name());
        return;
      }
      log.debug("Connection {} rejected by the listener with {}", rv.trackingId, status);
      rv.rejectSender(engine, status, description);
      refuseTracked(ctx, 410, "The rejection was delivered to the sender.", rv.trackingId, rv.hc.name());
      return;
    }
    if (!rv.finish(engine, Rendezvous.State.ACCEPTED)) {
      refuseTracked(ctx, 403, "The rendezvous address is not valid: it is unknown, expired or "
          + "already used.", rv.trackingId, rv.hc.name());
      return;
    }
    String chosen = firstToken(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
    String senderProtocol = chosen != null && offered(rv.senderRequest, chosen) ? chosen : null;
    SplicePair pair = new SplicePair(engine, rv.trackingId, rv.sender(), ctx.channel());
    engine.metrics.connectionOpened(System.nanoTime() - rv.createdNanos);
    Channel listener = ctx.channel();
    EventLoop senderLoop = rv.sender().eventLoop();
    if (listener.eventLoop() == senderLoop) {
      splice(ctx, req, chosen, rv, senderProtocol, pair);
      return;
    }
    // Both legs of a pair on one I/O thread: every frame is then forwarded by a direct write, not
    // by a task handed to another thread (measured: +19 % bulk throughput, -16 % round-trip p50 on
    // 2 cores). Neither end has its 101 yet, so no frame can arrive while the listener's leg moves.
    moveToLoop(listener, senderLoop,
        () -> splice(ctx, req, chosen, rv, senderProtocol, pair),
        () -> {
          senderLoop.execute(upgrade(rv.senderCtx, rv.senderRequest, senderProtocol, pair, SplicePair.Side.SENDER,
              false));
          listener.eventLoop().execute(upgrade(ctx, req, chosen, pair, SplicePair.Side.LISTENER, false));
        },
        cause -> {
          log.debug("Connection {}: could not move the listener's leg: {}", rv.trackingId, cause);
          listener.close();
          RelayEngine.abort(rv.sender());
        });
  }

  /**
   * Moves {@code ch} to {@code loop} (deregister, then register there); only before its 101, so that
   * no frame can arrive while it moves. Then runs {@code moved} on {@code loop}. If {@code ch} could
   * not leave its loop, runs {@code stayed} there instead; if it left but could not join {@code loop},
   * runs {@code lost} with the cause (the channel is then on no loop: {@code lost} closes it).
   */
  private static void moveToLoop(Channel ch, EventLoop loop, Runnable moved, Runnable stayed,
      java.util.function.Consumer<Throwable> lost) {
    ch.deregister().addListener(d -> {
      if (!d.isSuccess()) {
        stayed.run();
        return;
      }
      loop.register(ch).addListener(r -> {
        if (!r.isSuccess()) {
          lost.accept(r.cause());
          return;
        }
        moved.run();
      });
    });
  }

  /** Completes both upgrades, streaming, on the I/O thread both legs share. */
  private void splice(ChannelHandlerContext ctx, HttpRequest req, String chosen, Rendezvous rv,
      String senderProtocol, SplicePair pair) {
    upgrade(rv.senderCtx, rv.senderRequest, senderProtocol, pair, SplicePair.Side.SENDER, true).run();
    upgrade(ctx, req, chosen, pair, SplicePair.Side.LISTENER, true).run();
    log.debug("Connection {} accepted and spliced", rv.trackingId);
  }

  /**
   * The upgrade of one leg into the pair: with {@code streaming}, {@link StreamSpliceHandler} reads the
   * raw bytes (both legs must share one I/O thread); otherwise Netty's frame decoder feeds a
   * {@link SpliceHandler}. Must run on the leg's I/O thread.
   */
  private Runnable upgrade(ChannelHandlerContext legCtx, HttpRequest legRequest, String protocol,
      SplicePair pair, SplicePair.Side side, boolean streaming) {
    return engine.guarded(() -> WebSocketUpgrade.complete(legCtx, legRequest, protocol,
        engine.settings.maxFramePayload(), "splice",
        streaming ? new StreamSpliceHandler(engine, pair, side) : new SpliceHandler(engine, pair, side),
        streaming));
  }

  private static String firstToken(String header) {
    if (header == null) {
      return null;
    }
    String first = header.split(",", 2)[0].trim();
    return first.isEmpty() ? null : first;
  }

  private static boolean offered(HttpRequest senderRequest, String protocol) {
    for (String value : senderRequest.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
      for (String p : value.split(",")) {
        if (p.trim().equals(protocol)) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    Rendezvous rv = held;
    if (rv != null && rv.finish(engine, Rendezvous.State.CANCELLED)) {
      log.debug("Sender {} went away before a listener decided", rv.trackingId);
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    engine.onException(ctx.channel(), cause);
  }
}
