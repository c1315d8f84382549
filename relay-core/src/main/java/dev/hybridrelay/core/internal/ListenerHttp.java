package dev.hybridrelay.core.internal;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's HTTP request mode: runs the application's request handler for each {@code request}
 * message of the control channel, on a pool of at most {@code maxConcurrentRequests} threads
 * ({@code hybridrelay-listener-N-http-M}, ended after 5 idle seconds) with a queue of
 * {@value #QUEUE} requests. The rendezvous form's request and body are read from the request's
 * own WebSocket ({@link HttpRendezvousSocket}); the response goes back inline on the control
 * channel or over that socket ({@link HttpResponseImpl}). Failures are logged without secrets and
 * never reach the control channel: no handler gives 501, a throwing handler 500.
 */
final class ListenerHttp {
  private static final Logger log = LoggerFactory.getLogger(ListenerImpl.class);
  static final int QUEUE = 1024;

  /** Sends an inline response message and its body on the control channel. */
  interface ControlSender {
    /** {@code json}: the response message as UTF-8. */
    void sendResponse(byte[] json, byte[] body) throws IOException;

    /** The control channel's I/O loop (messages arrive on its thread). */
    IoLoop loop();
  }

  private final ListenerConfig config;
  private final String id;
  private final BooleanSupplier closed;
  private final ThreadPoolExecutor pool;

  ListenerHttp(ListenerConfig config, String id, int n, BooleanSupplier closed) {
    this.config = config;
    this.id = id;
    this.closed = closed;
    this.pool = new ThreadPoolExecutor(config.maxConcurrentRequests(), config.maxConcurrentRequests(), 5,
        TimeUnit.SECONDS, new LinkedBlockingQueue<>(QUEUE), Threads.factory("listener-" + n + "-http"));
    pool.allowCoreThreadTimeOut(true);
  }

  /** Requests being handled finish; queued ones are dropped (the relay's deadline answers them). */
  void shutdown() {
    pool.shutdown();
    pool.getQueue().clear();
  }

  /**
   * Hands a {@code request} message (and, for the inline form, its body) to the pool; answers 503
   * at once when {@value #QUEUE} requests are already waiting.
   */
  void submit(ControlSender cc, ControlMessages.Request request, byte[] body) {
    dev.hybridrelay.core.RelayRequestHandler handler = config.requestHandler();
    IoLoop loop = cc.loop();
    if (handler instanceof InlineRequestHandler && request.hasMethod && loop != null && loop.inLoop()
        && serveInline(cc, request, body, (InlineRequestHandler) handler, loop)) {
      return;
    }
    try {
      pool.execute(() -> serve(cc, request, body));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      if (closed.getAsBoolean()) {
        return;
      }
      String requestId = request.id;
      answerBusy(request.hasMethod ? new HttpResponseImpl(requestId, transport(cc, request), null) : null,
          requestId);
    }
  }

  /** The pool's queue is full: logged, and answered 503 when {@code res} is not null. */
  private void answerBusy(HttpResponseImpl res, String requestId) {
    log.warn("Listener {}: {} HTTP requests waiting; answering request {} with 503", id, QUEUE, requestId);
    if (res != null) {
      res.setStatus(503);
      try {
        res.complete();
      } catch (IOException ex) {
        log.debug("Listener {}: cannot send a 503: {}", id, Redaction.text(ex.getMessage()));
      }
    }
  }

  private static java.io.InputStream inlineBody(byte[] body) {
    return body == null ? java.io.InputStream.nullInputStream() : new java.io.ByteArrayInputStream(body);
  }

  private void logHandlerFailure(HttpRequestImpl req, String requestId, Throwable e) {
    log.warn("Listener {}: the request handler failed on {} {} (request {}): {}", id, req.method(),
        req.pathForLog(), requestId, Redaction.text(e.getClass().getName() + ": " + e.getMessage()));
    log.debug("Listener {}: request handler failure", id, e);
  }

  /** On the loop thread: offers an inline request to the handler's non-blocking path. */
  private boolean serveInline(ControlSender cc, ControlMessages.Request message, byte[] inlineBody, InlineRequestHandler handler,
      IoLoop loop) {
    String requestId = message.id;
    HttpRequestImpl req = new HttpRequestImpl(message, inlineBody(inlineBody), config.connectionString().entityPath());
    HttpResponseImpl res = new HttpResponseImpl(requestId, transport(cc, message), null);
    InlineExchange x = new InlineExchange(req, res, loop, requestId);
    try {
      return handler.handleInline(x);
    } catch (RuntimeException e) {
      x.fail(e);
      return true;
    }
  }

  /** An inline request owned by an {@link InlineRequestHandler}; ends once. */
  private final class InlineExchange implements InlineRequestHandler.Exchange {
    private final HttpRequestImpl req;
    private final HttpResponseImpl res;
    private final IoLoop loop;
    private final String requestId;
    private final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();

    InlineExchange(HttpRequestImpl req, HttpResponseImpl res, IoLoop loop, String requestId) {
      this.req = req;
      this.res = res;
      this.loop = loop;
      this.requestId = requestId;
    }

    @Override
    public dev.hybridrelay.core.RelayHttpRequest request() {
      return req;
    }

    @Override
    public dev.hybridrelay.core.RelayHttpResponse response() {
      return res;
    }

    @Override
    public IoLoop loop() {
      return loop;
    }

    @Override
    public void complete() {
      if (ended.compareAndSet(false, true)) {
        completeQuietly(res, requestId);
      }
    }

    @Override
    public void fail(Throwable cause) {
      if (ended.compareAndSet(false, true)) {
        logHandlerFailure(req, requestId, cause);
        res.fail();
      }
    }

    @Override
    public boolean dispatch(dev.hybridrelay.core.RelayRequestHandler work) {
      if (!ended.compareAndSet(false, true)) {
        return false;
      }
      try {
        pool.execute(() -> run(work, req, res, requestId));
        return true;
      } catch (java.util.concurrent.RejectedExecutionException e) {
        if (closed.getAsBoolean()) {
          res.abort();
          return false;
        }
        answerBusy(res, requestId);
        return false;
      }
    }
  }

  private HttpResponseImpl.Transport transport(ControlSender cc, ControlMessages.Request request) {
    String address = request.address;
    String trackingId = request.id;
    return new HttpResponseImpl.Transport() {
      @Override
      public void sendInline(byte[] json, byte[] body) throws IOException {
        cc.sendResponse(json, body);
      }

      @Override
      public HttpRendezvousSocket openRendezvous() throws IOException {
        return openHttpRendezvous(address, trackingId);
      }
    };
  }

  private HttpRendezvousSocket openHttpRendezvous(String address, String trackingId) throws IOException {
    URI a;
    try {
      a = URI.create(address);
    } catch (IllegalArgumentException e) {
      throw new IOException("The relay sent a malformed rendezvous address for request " + trackingId);
    }
    if (!RelayUris.isAllowedRendezvous(config.connectionString(), a)) {
      throw new IOException("Refusing rendezvous address " + Redaction.uri(a) + " for request " + trackingId
          + ": it is not the relay endpoint");
    }
    HttpRendezvousSocket rv = new HttpRendezvousSocket(a, (int) config.acceptDeadline().toMillis(), trackingId);
    rv.open(config.sslContext(), config.proxy(), config.acceptDeadline().toMillis());
    return rv;
  }

  private void serve(ControlSender cc, ControlMessages.Request message, byte[] inlineBody) {
    String requestId = message.id;
    HttpRendezvousSocket rv = null;
    ControlMessages.Request request = message;
    java.io.InputStream body;
    try {
      if (!message.hasMethod) {
        rv = openHttpRendezvous(message.address, requestId);
        request = rv.awaitRequest(config.acceptDeadline().toMillis());
        body = request.body ? rv.body() : java.io.InputStream.nullInputStream();
      } else {
        body = inlineBody(inlineBody);
      }
    } catch (IOException e) {
      log.warn("Listener {}: cannot receive HTTP request {}: {}", id, requestId, Redaction.text(e.getMessage()));
      if (rv != null) {
        rv.abort();
      }
      return;
    }
    HttpRequestImpl req = new HttpRequestImpl(request, body, config.connectionString().entityPath());
    HttpResponseImpl res = new HttpResponseImpl(requestId, transport(cc, message), rv);
    dev.hybridrelay.core.RelayRequestHandler handler = config.requestHandler();
    if (handler == null) {
      log.info("Listener {}: no request handler installed; answering {} {} (request {}) with 501", id,
          req.method(), req.pathForLog(), requestId);
      res.setStatus(501);
      completeQuietly(res, requestId);
      return;
    }
    run(handler, req, res, requestId);
  }

  /** Runs a handler on this thread: the response completes when it returns, fails when it throws. */
  private void run(dev.hybridrelay.core.RelayRequestHandler handler, HttpRequestImpl req, HttpResponseImpl res,
      String requestId) {
    boolean done = false;
    try {
      handler.handle(req, res);
      done = true;
    } catch (Exception e) {
      logHandlerFailure(req, requestId, e);
    } finally {
      if (done) {
        completeQuietly(res, requestId);
      } else {
        res.fail();
      }
    }
  }

  private void completeQuietly(HttpResponseImpl res, String requestId) {
    try {
      res.complete();
    } catch (IOException e) {
      log.info("Listener {}: the response to HTTP request {} could not be sent: {}", id, requestId,
          Redaction.text(e.getMessage()));
      res.abort();
    }
  }
}
