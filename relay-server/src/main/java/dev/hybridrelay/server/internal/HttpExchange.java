package dev.hybridrelay.server.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP request of a sender (request mode, protocol §3.7), from the request head to the end of
 * the response. Its state is confined to the sender connection's event loop: events from the
 * listener's control channel and rendezvous socket arrive through the {@code post…} methods, as
 * tasks on that loop, or at once when the control channel is on the same loop (its response
 * messages only, see {@code runOrPost}).
 *
 * <p>Forms: a body of known length of at most {@value #INLINE_LIMIT} bytes (or none) is buffered
 * and sent inline on the control channel; anything else is announced in the rendezvous-only form
 * and streamed over the request's rendezvous socket once the listener has opened it. Either way
 * the listener may answer on the control channel or over the rendezvous socket.
 *
 * <p>Memory: at most {@value #INLINE_LIMIT} bytes of request body and one inline response body
 * are held; streamed bodies are held back by backpressure (the sender's or the rendezvous
 * socket's reads stop while the other side is not writable, or while more than
 * {@value #MAX_IN_FLIGHT} bytes are on their way between the two event loops).
 */
final class HttpExchange {
  private static final Logger log = LoggerFactory.getLogger(HttpExchange.class);
  static final int INLINE_LIMIT = 64 * 1024;
  static final long MAX_IN_FLIGHT = 1 << 20;

  final RelayEngine engine;
  final HttpRelayHandler owner;
  final ChannelHandlerContext ctx;
  final io.netty.handler.codec.http.HttpRequest request;
  final HybridConnection hc;
  final ControlChannelHandler listener;
  final String secret;
  final boolean inline;
  final boolean hasBody;
  final boolean head;
  final boolean keepAliveRequested;
  private final RequestMessage message;
  volatile String id;
  /** Response-body bytes posted by the rendezvous socket's loop and not yet handled here. */
  final AtomicLong inFlight = new AtomicLong();

  private CompositeByteBuf inlineBody;
  private final ArrayDeque<HttpContent> pendingBody = new ArrayDeque<>();
  private long pendingBytes;
  private boolean requestComplete;
  private boolean requestForwarded;
  private boolean firstBodyFrameSent;

  private Channel rendezvous;
  private boolean rendezvousRequestSent;
  private boolean responseHeadWritten;
  private HttpResponse pendingHead;
  private CompositeByteBuf inlineResponse;
  private boolean responseBodyExpected;
  private boolean responseBodyless;
  private boolean responseDone;
  private long expectedLength = -1;
  private long sentLength;
  private boolean closeAfter;
  private boolean finished;
  private ScheduledFuture<?> timer;
  private long lastProgress;

  HttpExchange(RelayEngine engine, HttpRelayHandler owner, ChannelHandlerContext ctx,
      io.netty.handler.codec.http.HttpRequest request, HybridConnection hc,
      ControlChannelHandler listener, boolean inline, boolean hasBody, RequestMessage message) {
    this.engine = engine;
    this.owner = owner;
    this.ctx = ctx;
    this.request = request;
    this.hc = hc;
    this.listener = listener;
    this.inline = inline;
    this.hasBody = hasBody;
    this.head = io.netty.handler.codec.http.HttpMethod.HEAD.equals(request.method());
    this.keepAliveRequested = io.netty.handler.codec.http.HttpUtil.isKeepAlive(request);
    this.message = message;
    this.secret = engine.newSecret();
  }

  // ---- start and request side (sender loop) ------------------------------------------------

  /** Sends the request (inline form once the body is complete) and starts the deadline. */
  void start(String address) {
    message.rendezvous(address, id);
    engine.httpRendezvous.put(secret, this);
    touch();
    long timeout = engine.settings.httpRequestTimeout().toNanos();
    timer = ctx.executor().schedule(engine.guarded(this::onTimer), timeout, TimeUnit.NANOSECONDS);
    if (io.netty.handler.codec.http.HttpUtil.is100ContinueExpected(request) && inline) {
      continue100();
    }
    if (!inline) {
      listener.sendHttpRequest(this, message.rendezvousOnly(engine.json.getFactory(), ctx.alloc()), null);
    }
  }

  private void continue100() {
    ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
  }

  /** Whether request content still belongs to this exchange. */
  boolean wantsContent() {
    return !finished && !requestCompleteSeen;
  }

  private boolean requestCompleteSeen;

  /** Whether more request content can be taken now (backpressure toward the sender). */
  boolean readyForContent() {
    if (!wantsContent()) {
      return false;
    }
    if (inline) {
      return true;
    }
    if (rendezvous == null || !rendezvousRequestSent) {
      return pendingBytes < INLINE_LIMIT;
    }
    return rendezvous.isWritable();
  }

  /** The next piece of the request body from the sender; takes ownership. */
  void onRequestContent(HttpContent c) {
    boolean last = c instanceof LastHttpContent;
    if (last) {
      requestCompleteSeen = true;
    }
    if (finished) {
      c.release();
      return;
    }
    touch();
    if (inline) {
      ByteBuf data = c.content();
      if (data.isReadable()) {
        if (inlineBody == null) {
          inlineBody = ctx.alloc().compositeBuffer(64);
        }
        if (inlineBody.readableBytes() + data.readableBytes() > INLINE_LIMIT) {
          c.release();
          fail(400, HttpErrors.BAD_REQUEST, "The request body is longer than its Content-Length.");
          return;
        }
        inlineBody.addComponent(true, data.retain());
      }
      c.release();
      if (last) {
        requestComplete = true;
        sendInline();
      }
      return;
    }
    if (rendezvous == null || !rendezvousRequestSent) {
      pendingBody.add(c);
      pendingBytes += c.content().readableBytes();
      if (last) {
        requestComplete = true;
      }
      return;
    }
    forwardBody(c);
  }

  private void sendInline() {
    boolean body = inlineBody != null && inlineBody.isReadable();
    ByteBuf json = message.full(engine.json.getFactory(), ctx.alloc(), body);
    ByteBuf b = body ? inlineBody : null;
    if (!body && inlineBody != null) {
      inlineBody.release();
    }
    inlineBody = null;
    requestForwarded = true;
    listener.sendHttpRequest(this, json, b);
  }

  private void forwardBody(HttpContent c) {
    boolean last = c instanceof LastHttpContent;
    ByteBuf data = c.content().retain();
    c.release();
    if (last) {
      requestComplete = true;
    }
    if (!hasBody || (!data.isReadable() && !last)) {
      data.release();
      if (last) {
        requestForwarded = true;
        rendezvous.flush();
      }
      return;
    }
    WebSocketFrame f = firstBodyFrameSent
        ? new ContinuationWebSocketFrame(last, 0, data)
        : new BinaryWebSocketFrame(last, 0, data);
    firstBodyFrameSent = true;
    rendezvous.writeAndFlush(f).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    if (last) {
      requestForwarded = true;
    }
  }

  // ---- events from other loops ---------------------------------------------------------

  private void post(Runnable r, Object toRelease) {
    try {
      ctx.executor().execute(engine.guarded(r));
    } catch (RejectedExecutionException e) {
      ReferenceCountUtil.release(toRelease);
    }
  }

  /**
   * Runs {@code r} at once when the caller is on this exchange's loop, else as a task there. Only for
   * the response messages, which arrive in order from one loop each: those of the control channel
   * (which shares the sender's loop for about 1 in {@code ioThreads} exchanges) and those of the
   * request's rendezvous socket (moved to the sender's loop when it opens, see {@code
   * HandshakeHandler}); so for one exchange and one source either all of them run inline or all are
   * tasks. The listener sends its response only after the request message, which {@link
   * #onRendezvousOpened} writes, so no response frame can overtake that (posted) event.
   */
  private void runOrPost(Runnable r, Object toRelease) {
    if (ctx.executor().inEventLoop()) {
      engine.guarded(r).run();
    } else {
      post(r, toRelease);
    }
  }

  void postResponseHead(ListenerResponse response, boolean viaRendezvous) {
    runOrPost(() -> onResponseHead(response, viaRendezvous), null);
  }

  /** An inline response and the first (or only) frame of its body; takes ownership of {@code data}. */
  void postResponse(ListenerResponse response, ByteBuf data, boolean fin) {
    runOrPost(() -> {
      onResponseHead(response, false);
      onResponseBody(data, fin, false);
    }, data);
  }

  /** Takes ownership of {@code data}. */
  void postResponseBody(ByteBuf data, boolean fin, boolean viaRendezvous) {
    runOrPost(() -> onResponseBody(data, fin, viaRendezvous), data);
  }

  void postListenerFailure(String message) {
    post(() -> {
      if (rendezvous == null) {
        fail(502, HttpErrors.BAD_GATEWAY, message);
      }
    }, null);
  }

  void postRendezvousOpened(Channel ch) {
    post(() -> onRendezvousOpened(ch), null);
  }

  void postRendezvousWritable() {
    post(owner::updateRead, null);
  }

  void postRendezvousGone(String message) {
    post(() -> {
      if (!finished) {
        fail(502, HttpErrors.BAD_GATEWAY, message);
      }
    }, null);
  }

  // ---- listener side (sender loop) -----------------------------------------------------

  private void onRendezvousOpened(Channel ch) {
    if (finished) {
      RelayEngine.abort(ch);
      return;
    }
    rendezvous = ch;
    touch();
    if (!inline) {
      ch.write(new TextWebSocketFrame(message.full(engine.json.getFactory(), ch.alloc(), hasBody)));
      rendezvousRequestSent = true;
      if (io.netty.handler.codec.http.HttpUtil.is100ContinueExpected(request) && !requestCompleteSeen) {
        continue100();
      }
      while (!pendingBody.isEmpty()) {
        forwardBody(pendingBody.poll());
      }
      pendingBytes = 0;
      ch.flush();
    }
    owner.updateRead();
  }

  private void onResponseHead(ListenerResponse r, boolean viaRendezvous) {
    if (finished) {
      return;
    }
    if (responseHeadWritten || pendingHead != null) {
      if (viaRendezvous) {
        fail(502, HttpErrors.BAD_GATEWAY, "The listener sent a second response for one request.");
      }
      return;
    }
    int status = r.statusCode;
    if (status < 200 || status > 999) {
      fail(502, HttpErrors.BAD_GATEWAY, "The listener sent a response without a valid statusCode.");
      return;
    }
    touch();
    engine.metrics.httpRequest(status);
    String description = r.statusDescription;
    description = description.isBlank()
        ? HttpResponseStatus.valueOf(status).reasonPhrase() : RelayErrors.sanitize(description);
    // names and values are checked here (validHeader): no second check in the header map
    HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
        new HttpResponseStatus(status, description), UNVALIDATED);
    for (String[] nv : r.headers) {
      String name = nv[0];
      String value = nv[1];
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("content-length")) {
        try {
          expectedLength = Long.parseLong(value.trim());
        } catch (NumberFormatException ex) {
          expectedLength = -1;
        }
        continue;
      }
      if (HttpRelayHandler.HOP_BY_HOP.contains(lower) || !validHeader(name, value)) {
        continue;
      }
      res.headers().add(name, value);
    }
    String via = res.headers().get(HttpHeaderNames.VIA);
    String ours = "1.1 " + engine.settings.advertisedHost();
    res.headers().set(HttpHeaderNames.VIA, via == null || via.isBlank() ? ours : via + ", " + ours);
    boolean body = r.body;
    boolean bodyless = head || status == 204 || status == 304;
    responseBodyless = bodyless;
    if (!body) {
      if (!head) {
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      } else if (expectedLength >= 0) {
        res.headers().set(HttpHeaderNames.CONTENT_LENGTH, expectedLength);
      }
      writeHead(res);
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      responseDone();
      return;
    }
    responseBodyExpected = true;
    if (!viaRendezvous) {
      pendingHead = res;
      inlineResponse = ctx.alloc().compositeBuffer(64);
      return;
    }
    if (bodyless) {
      if (expectedLength >= 0 && head) {
        res.headers().set(HttpHeaderNames.CONTENT_LENGTH, expectedLength);
      }
      expectedLength = -1;
    } else if (expectedLength >= 0) {
      res.headers().set(HttpHeaderNames.CONTENT_LENGTH, expectedLength);
    } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      closeAfter = true;
    } else {
      res.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    writeHead(res);
    ctx.flush();
  }

  private static final io.netty.handler.codec.http.HttpHeadersFactory UNVALIDATED =
      io.netty.handler.codec.http.DefaultHttpHeadersFactory.headersFactory().withValidation(false);

  /** A token name (RFC 9110 §5.1) and a value without CR, LF or NUL. */
  static boolean validHeader(String name, String value) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) {
        return false;
      }
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        return false;
      }
    }
    return true;
  }

  private void writeHead(HttpResponse res) {
    if (!requestCompleteSeen || closeAfter || !keepAliveRequested) {
      // the rest of the request body will not be read: the connection cannot be reused
      closeAfter = true;
    }
    if (closeAfter) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    responseHeadWritten = true;
    ctx.write(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
  }

  private void onResponseBody(ByteBuf data, boolean fin, boolean viaRendezvous) {
    int n = data.readableBytes();
    if (viaRendezvous) {
      inFlight.addAndGet(-n);
    }
    if (finished || !responseBodyExpected || responseDone) {
      data.release();
      return;
    }
    touch();
    if (pendingHead != null) {
      if (inlineResponse.readableBytes() + n > Math.max(INLINE_LIMIT, engine.settings.maxControlMessageSize())) {
        data.release();
        fail(502, HttpErrors.BAD_GATEWAY, "The listener's inline response body is too large.");
        return;
      }
      inlineResponse.addComponent(true, data);
      if (fin) {
        HttpResponse res = pendingHead;
        pendingHead = null;
        CompositeByteBuf body = inlineResponse;
        inlineResponse = null;
        if (responseBodyless) {
          if (head && expectedLength >= 0) {
            res.headers().set(HttpHeaderNames.CONTENT_LENGTH, expectedLength);
          }
          body.release();
          body = null;
        } else {
          res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        }
        writeHead(res);
        ctx.writeAndFlush(body == null ? LastHttpContent.EMPTY_LAST_CONTENT : new DefaultLastHttpContent(body))
            .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        responseDone();
      }
      return;
    }
    boolean bodyless = responseBodyless;
    if (bodyless) {
      data.release();
    } else {
      sentLength += n;
      if (expectedLength >= 0 && sentLength > expectedLength) {
        data.release();
        abort("the listener sent more than its Content-Length");
        return;
      }
      if (n > 0) {
        ctx.write(new DefaultHttpContent(data)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      } else {
        data.release();
      }
    }
    if (fin) {
      if (!bodyless && expectedLength >= 0 && sentLength != expectedLength) {
        abort("the listener sent less than its Content-Length");
        return;
      }
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      responseDone();
      return;
    }
    ctx.flush();
    maybeResumeRendezvous();
  }

  /** Pauses or resumes reading the rendezvous socket by the sender's writability (sender loop). */
  void maybeResumeRendezvous() {
    Channel rv = rendezvous;
    if (rv == null || finished) {
      return;
    }
    boolean want = ctx.channel().isWritable() && inFlight.get() < MAX_IN_FLIGHT / 2;
    if (rv.config().isAutoRead() != want) {
      rv.config().setAutoRead(want);
    }
  }

  private void responseDone() {
    responseDone = true;
    finish(!closeAfter && requestForwarded);
  }

  // ---- deadline and failures -----------------------------------------------------------

  private void touch() {
    lastProgress = System.nanoTime();
  }

  private void onTimer() {
    if (finished) {
      return;
    }
    long timeout = engine.settings.httpRequestTimeout().toNanos();
    long idle = System.nanoTime() - lastProgress;
    if (idle < timeout) {
      timer = ctx.executor().schedule(engine.guarded(this::onTimer), timeout - idle, TimeUnit.NANOSECONDS);
      return;
    }
    log.info("HTTP request {} to '{}': the listener did not respond within {} ms", id, hc.name(),
        engine.settings.httpRequestTimeout().toMillis());
    fail(504, HttpErrors.TIMEOUT, "The request was routed to the listener but the listener did not "
        + "respond in the required time.");
  }

  /** A relay-generated error if nothing was sent yet, else the sender's connection is dropped. */
  void fail(int status, String code, String message) {
    if (finished) {
      return;
    }
    if (responseHeadWritten) {
      abort(message);
      return;
    }
    log.debug("HTTP request {} to '{}' failed with {}: {}", id, hc.name(), status, message);
    finishInternal(false, true);
    HttpErrors.send(ctx, engine, status, code, message, id, hc.name());
  }

  private void abort(String why) {
    log.info("HTTP request {} to '{}' aborted: {}", id, hc.name(), why);
    finishInternal(false, true);
    RelayEngine.abort(ctx.channel());
  }

  /** The sender's connection is gone. */
  void onSenderGone() {
    finishInternal(false, true);
  }

  private void finish(boolean reusable) {
    finishInternal(reusable, false);
    owner.exchangeFinished(this, reusable);
  }

  private void finishInternal(boolean reusable, boolean failed) {
    if (finished) {
      return;
    }
    finished = true;
    if (timer != null) {
      timer.cancel(false);
    }
    engine.httpRendezvous.remove(secret, this);
    listener.httpDone(this);
    engine.httpRequests.decrementAndGet();
    if (inlineBody != null) {
      inlineBody.release();
      inlineBody = null;
    }
    if (inlineResponse != null) {
      inlineResponse.release();
      inlineResponse = null;
    }
    while (!pendingBody.isEmpty()) {
      pendingBody.poll().release();
    }
    Channel rv = rendezvous;
    if (rv != null) {
      if (failed) {
        RelayEngine.abort(rv);
      } else {
        rv.config().setAutoRead(true);
        RelayEngine.closeAfterCloseFrame(rv, rv.writeAndFlush(new CloseWebSocketFrame(1000, "Normal Closure")));
      }
    }
    if (failed) {
      owner.exchangeFailed(this);
    }
  }

  boolean isFinished() {
    return finished;
  }
}
