package dev.hybridrelay.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridrelay.server.AccessRights;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's control channel after the upgrade. Runs on the channel's event loop.
 *
 * <p>Inbound: text JSON ({@code renewToken}, HTTP {@code response}s; {@code injectFault} is
 * ignored) and the binary body message that follows a {@code response} with {@code body: true}. Close codes the
 * relay uses: 1008 for a malformed message, an unknown command, a rejected renewal or an expired
 * token; 1009 for a message over {@code maxControlMessageSize} (or an inline response body over
 * 64 KiB); 1003 for a binary message that follows no response; 1001 on
 * shutdown. Keep-alive: a Ping after {@code keepAliveInterval} of silence, and the connection is
 * dropped if nothing arrives within another interval. Client Pings are answered; unsolicited Pongs
 * count as traffic.
 */
final class ControlChannelHandler extends ChannelInboundHandlerAdapter {
  static final AttributeKey<ControlChannelHandler> CONTROL_KEY =
      AttributeKey.valueOf("hybridrelay.control");
  private static final Logger log = LoggerFactory.getLogger(ControlChannelHandler.class);

  private final RelayEngine engine;
  private final HybridConnection hc;
  private final String trackingId;
  private final java.util.Set<String> hosts;
  private volatile boolean open = true;
  private volatile ChannelHandlerContext ctx;
  private long expiresAt;
  private ScheduledFuture<?> expiryTask;
  private ScheduledFuture<?> keepAliveTask;
  private long lastReadNanos = System.nanoTime();
  private boolean pingOutstanding;
  private CompositeByteBuf fragments;
  /** HTTP requests sent to this listener and not yet answered on this channel, by request id. */
  private final java.util.concurrent.ConcurrentMap<String, HttpExchange> http =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger httpActive =
      new java.util.concurrent.atomic.AtomicInteger();
  /** The exchange whose inline response body is arriving, or null. */
  private HttpExchange responseTarget;
  /** The response message of {@link #responseTarget}, passed on with its body's first frame. */
  private ListenerResponse responseHead;
  private boolean skipBinary;
  /** The last message was a response without body: one binary message after it is tolerated. */
  private boolean afterBodylessResponse;
  private boolean inBinary;
  /** A flush of the request messages written so far is queued on this channel's loop (loop only). */
  private boolean requestFlushQueued;
  private long binaryBytes;

  ControlChannelHandler(RelayEngine engine, HybridConnection hc, String trackingId, long expiresAt,
      java.util.Set<String> hosts) {
    this.engine = engine;
    this.hosts = hosts;
    this.hc = hc;
    this.trackingId = trackingId;
    this.expiresAt = expiresAt;
  }

  boolean isOpen() {
    return open && ctx != null && ctx.channel().isActive();
  }

  String trackingId() {
    return trackingId;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    ctx.channel().attr(CONTROL_KEY).set(this);
    scheduleExpiry();
    long interval = engine.settings.keepAliveInterval().toNanos();
    keepAliveTask = ctx.executor().scheduleAtFixedRate(
        engine.guarded(this::keepAlive), interval, interval, TimeUnit.NANOSECONDS);
  }

  private void scheduleExpiry() {
    if (expiryTask != null) {
      expiryTask.cancel(false);
    }
    long dueMillis = (expiresAt + engine.settings.tokenClockSkew().toSeconds()) * 1000
        - System.currentTimeMillis();
    expiryTask = ctx.executor().schedule(engine.guarded(() -> {
      log.info("Listener {} on '{}': token expired, closing the control channel", trackingId, hc.name());
      closeWith(1008, "Token expired. TrackingId:" + trackingId);
    }), Math.max(0, dueMillis), TimeUnit.MILLISECONDS);
  }

  private void keepAlive() {
    if (!isOpen()) {
      return;
    }
    long idle = System.nanoTime() - lastReadNanos;
    if (idle < engine.settings.keepAliveInterval().toNanos()) {
      return;
    }
    if (pingOutstanding) {
      log.info("Listener {} on '{}' did not answer a keep-alive ping; dropping it", trackingId, hc.name());
      open = false;
      hc.removeListener(this);
      RelayEngine.abort(ctx.channel());
      return;
    }
    pingOutstanding = true;
    ctx.writeAndFlush(new PingWebSocketFrame());
  }

  /** Sends an {@code accept} notification. */
  ChannelFuture sendAccept(String json) {
    return ctx.channel().writeAndFlush(new TextWebSocketFrame(json));
  }

  // ---- HTTP request mode --------------------------------------------------------------

  /** Counts one more HTTP request in progress unless {@code max} are. */
  boolean tryAcquireHttp(int max) {
    while (true) {
      int n = httpActive.get();
      if (n >= max) {
        return false;
      }
      if (httpActive.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Registers {@code x} under {@code preferred} or, if taken, a fresh id; returns the id. */
  String registerHttp(HttpExchange x, String preferred) {
    String id = preferred;
    while (http.putIfAbsent(id, x) != null) {
      id = engine.errors.trackingId(null);
    }
    return id;
  }

  /** The exchange ended: forget it and free its slot. */
  void httpDone(HttpExchange x) {
    http.remove(x.id, x);
    httpActive.decrementAndGet();
  }

  /**
   * Sends a {@code request} message and its inline body (both owned by this call) back-to-back on
   * this channel's loop, so that no other control message comes between them: at once when called
   * there, else in one task.
   */
  void sendHttpRequest(HttpExchange x, ByteBuf json, ByteBuf body) {
    ChannelHandlerContext c = ctx;
    Runnable send = () -> {
      if (!isOpen()) {
        json.release();
        if (body != null) {
          body.release();
        }
        x.postListenerFailure("The listener disconnected before the request could be delivered.");
        return;
      }
      c.write(new TextWebSocketFrame(json));
      if (body != null) {
        c.write(new BinaryWebSocketFrame(body));
      }
      // One flush (one socket write) for all the requests queued on this loop by now: the flush
      // task runs after them (the loop runs its tasks in order), not one write per request.
      if (!requestFlushQueued) {
        requestFlushQueued = true;
        try {
          c.executor().execute(() -> {
            requestFlushQueued = false;
            c.flush();
          });
        } catch (java.util.concurrent.RejectedExecutionException e) {
          requestFlushQueued = false;
          c.flush();
        }
      }
    };
    if (c.executor().inEventLoop()) {
      // the sender's connection is on this loop: no task (the flush still follows the round)
      engine.guarded(send).run();
      return;
    }
    try {
      c.executor().execute(engine.guarded(send));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      json.release();
      if (body != null) {
        body.release();
      }
      x.postListenerFailure("The listener disconnected before the request could be delivered.");
    }
  }

  private void onHttpResponse(ListenerResponse r) {
    String rid = r.requestId;
    HttpExchange x = rid == null ? null : http.get(rid);
    boolean body = r.body;
    if (x == null) {
      log.debug("Listener {} answered an unknown or finished HTTP request", trackingId);
      skipBinary = body;
      afterBodylessResponse = !body;
      return;
    }
    if (body) {
      responseTarget = x;
      responseHead = r;
      binaryBytes = 0;
      return;
    }
    http.remove(rid, x);
    afterBodylessResponse = true;
    x.postResponseHead(r, false);
  }

  private void onBinaryFrame(WebSocketFrame frame, boolean first) {
    if (first && responseTarget == null && !skipBinary) {
      if (!afterBodylessResponse) {
        closeWith(1003, "Binary messages on the control channel must follow a response with body");
        return;
      }
      // hyco-https sends an empty binary message after a response with "body": false
      skipBinary = true;
    }
    afterBodylessResponse = false;
    boolean fin = frame.isFinalFragment();
    inBinary = !fin;
    if (skipBinary || responseTarget == null) {
      if (fin) {
        skipBinary = false;
      }
      return;
    }
    HttpExchange x = responseTarget;
    binaryBytes += frame.content().readableBytes();
    int max = Math.max(HttpExchange.INLINE_LIMIT, engine.settings.maxControlMessageSize());
    ListenerResponse head = responseHead;
    responseHead = null;
    if (binaryBytes > max) {
      responseTarget = null;
      if (head != null) {
        x.postResponseHead(head, false);
      }
      http.remove(x.id, x);
      x.postListenerFailure("The listener's inline response body is larger than " + max + " bytes.");
      closeWith(1009, "Inline response body larger than " + max + " bytes");
      return;
    }
    if (head != null) {
      // the response and (the first frame of) its body in one task on the sender's loop
      x.postResponse(head, frame.content().retainedDuplicate(), fin);
    } else {
      x.postResponseBody(frame.content().retainedDuplicate(), fin, false);
    }
    if (fin) {
      responseTarget = null;
      http.remove(x.id, x);
    }
  }

  private void failPendingHttp() {
    for (HttpExchange x : http.values()) {
      x.postListenerFailure("The listener disconnected before it responded.");
    }
    http.clear();
    responseTarget = null;
    responseHead = null;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    lastReadNanos = System.nanoTime();
    pingOutstanding = false;
    if (!(msg instanceof WebSocketFrame frame)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    try {
      if (frame instanceof PingWebSocketFrame) {
        ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
      } else if (frame instanceof PongWebSocketFrame) {
        // keep-alive answer or unsolicited pong: both count as traffic
      } else if (frame instanceof CloseWebSocketFrame close) {
        onClose(close);
      } else if (frame instanceof BinaryWebSocketFrame) {
        onBinaryFrame(frame, true);
      } else if (frame instanceof ContinuationWebSocketFrame && inBinary) {
        onBinaryFrame(frame, false);
      } else if (frame instanceof TextWebSocketFrame || frame instanceof ContinuationWebSocketFrame) {
        onText(frame);
      }
    } finally {
      frame.release();
    }
  }

  private void onText(WebSocketFrame frame) {
    if (!open) {
      return;
    }
    int max = engine.settings.maxControlMessageSize();
    if (frame instanceof TextWebSocketFrame && frame.isFinalFragment() && fragments == null) {
      handleMessage(frame.content());
      return;
    }
    if (frame instanceof TextWebSocketFrame) {
      releaseFragments();
      fragments = ctx.alloc().compositeBuffer();
    }
    if (fragments == null) {
      closeWith(1002, "Unexpected continuation frame");
      return;
    }
    if (fragments.readableBytes() + frame.content().readableBytes() > max) {
      releaseFragments();
      closeWith(1009, "Control message larger than " + max + " bytes");
      return;
    }
    fragments.addComponent(true, frame.content().retain());
    if (frame.isFinalFragment()) {
      try {
        handleMessage(fragments);
      } finally {
        releaseFragments();
      }
    }
  }

  private void handleMessage(ByteBuf content) {
    afterBodylessResponse = false;
    ListenerResponse response = ListenerResponse.parse(engine.json.getFactory(), content);
    if (response != null) {
      onHttpResponse(response);
      return;
    }
    JsonNode node;
    try {
      node = engine.json.readTree(new ByteBufInputStream(content.duplicate()));
    } catch (IOException e) {
      node = null;
    }
    if (node == null || !node.isObject()) {
      closeWith(1008, "Malformed control message");
      return;
    }
    if (node.has("renewToken")) {
      JsonNode token = node.get("renewToken").get("token");
      if (token == null || !token.isTextual()) {
        closeWith(1008, "Malformed renewToken message");
        return;
      }
      renew(token.asText());
    } else if (node.has("response")) {
      if (!node.get("response").isObject()) {
        closeWith(1008, "Malformed response message");
        return;
      }
      onHttpResponse(ListenerResponse.fromTree(node.get("response")));
    } else if (node.has("injectFault")) {
      log.debug("Ignoring injectFault from listener {}", trackingId);
    } else {
      String name = node.fieldNames().hasNext() ? node.fieldNames().next() : "";
      log.info("Listener {} sent an unknown control command '{}'; closing", trackingId,
          RelayErrors.sanitize(name.length() > 64 ? name.substring(0, 64) : name));
      closeWith(1008, "Unknown control command");
    }
  }

  private void renew(String token) {
    List<AuthRule> rules = HandshakeHandler.rulesFor(engine, hc);
    SasTokenValidator.Result r = engine.validator.validate(token, hosts,
        hc.name(), AccessRights.LISTEN, rules, engine.nowEpochSeconds(),
        engine.settings.tokenClockSkew().toSeconds());
    if (!r.valid()) {
      log.info("Listener {} on '{}': renewToken rejected ({})", trackingId, hc.name(), r.message());
      closeWith(1008, "Token renewal failed: " + r.message());
      return;
    }
    expiresAt = r.expiresAt();
    scheduleExpiry();
    log.debug("Listener {} on '{}': token renewed", trackingId, hc.name());
  }

  private void onClose(CloseWebSocketFrame close) {
    boolean wasOpen = open;
    open = false;
    hc.removeListener(this);
    if (wasOpen) {
      // Echo the listener's close code, then close the TCP connection.
      ctx.writeAndFlush(new CloseWebSocketFrame(true, 0, close.content().retain()))
          .addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  /** Closes with a close frame (reason trimmed to the 123 bytes a close frame allows). */
  void closeWith(int code, String reason) {
    ChannelHandlerContext c = ctx;
    if (c == null) {
      return;
    }
    if (!c.executor().inEventLoop()) {
      c.executor().execute(engine.guarded(() -> closeWith(code, reason)));
      return;
    }
    if (!open) {
      return;
    }
    open = false;
    hc.removeListener(this);
    RelayEngine.closeAfterCloseFrame(c.channel(),
        c.writeAndFlush(new CloseWebSocketFrame(code, trimReason(reason))));
  }

  static String trimReason(String reason) {
    String r = RelayErrors.sanitize(reason);
    byte[] b = r.getBytes(StandardCharsets.UTF_8);
    return b.length <= 123 ? r : new String(b, 0, 123, StandardCharsets.US_ASCII);
  }

  private void releaseFragments() {
    if (fragments != null) {
      fragments.release();
      fragments = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    open = false;
    hc.removeListener(this);
    if (expiryTask != null) {
      expiryTask.cancel(false);
    }
    if (keepAliveTask != null) {
      keepAliveTask.cancel(false);
    }
    releaseFragments();
    failPendingHttp();
    log.info("Listener {} disconnected from '{}' ({} listener(s) left)", trackingId, hc.name(),
        hc.listenerCount());
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof CorruptedWebSocketFrameException e && open) {
      int code = e.closeStatus() == null ? 1002 : e.closeStatus().code();
      closeWith(code, e.getMessage() == null ? "Protocol error" : e.getMessage());
      return;
    }
    open = false;
    hc.removeListener(this);
    engine.onException(ctx.channel(), cause);
  }
}
