package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.ListenerState;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayConnectException;
import dev.hybridrelay.core.RelayListenerEvents;
import dev.hybridrelay.core.SecurityToken;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener implementation behind {@code RelayListener}.
 *
 * <p>Threads (all daemon, all ended by {@link #close()}): the shared I/O loop that serves the control
 * channel ({@link IoLoop});
 * a supervisor {@code hybridrelay-listener-{n}} that re-opens a lost channel with backoff; an event
 * thread {@code hybridrelay-listener-events-{n}} that calls {@link RelayListenerEvents} in order and
 * without any lock held; a small pool {@code hybridrelay-listener-{n}-accept-…} that handles
 * {@code accept} messages (the accept handler, the rendezvous handshake, rejections) off the control
 * channel's I/O loop; and the shared timer for keep-alive and token renewal.
 */
public final class ListenerImpl {
  private static final Logger log = LoggerFactory.getLogger(ListenerImpl.class);
  /** Reconnect delays in seconds, as the official SDKs; the last repeats forever. */
  static final int[] BACKOFF_SECONDS = {0, 1, 2, 5, 10, 30};
  /** Largest control-channel message accepted. */
  static final int MAX_CONTROL_MESSAGE = 1 << 20;
  private static final int ACCEPT_THREADS = 8;
  private static final long CLOSE_WAIT_MILLIS = 2_000;

  private final ListenerConfig config;
  private final String id = UUID.randomUUID().toString();
  private final int n = Threads.nextId();
  private final TokenCache tokens;
  private final Object lock = new Object();
  private final ArrayDeque<ConnectionImpl> backlog = new ArrayDeque<>();
  private int reserved;
  private volatile ListenerState state = ListenerState.NEW;
  private volatile Throwable lastError;
  private volatile boolean closed;
  private volatile ControlChannel channel;
  private ExecutorService events;
  private ThreadPoolExecutor acceptPool;
  /** Runs the connection handler; threads are reused and end after 2 idle seconds. */
  private final ThreadPoolExecutor handlerPool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 2,
      TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), Threads.factory("connection"));
  private Thread supervisor;
  private boolean schedulerHeld;
  private volatile ScheduledFuture<?> renewalTask;
  /** Held while a control message pair (response + body) or a renewal is sent. */
  private final Object sendLock = new Object();
  /** Serves HTTP request-mode messages; created with the other pools at the first open. */
  private ListenerHttp http;

  public ListenerImpl(ListenerConfig config) {
    this.config = config;
    this.tokens = new TokenCache(config.tokenProvider(), RelayUris.audience(config.connectionString()),
        config.tokenValidity());
  }

  // ------------------------------------------------------------------ life cycle

  public void open() throws IOException {
    synchronized (lock) {
      if (closed) {
        throw new SocketException("The listener is closed");
      }
      if (state != ListenerState.NEW && state != ListenerState.OFFLINE) {
        throw new IllegalStateException("The listener is already open (" + state + ")");
      }
      if (events == null) {
        events = Executors.newSingleThreadExecutor(Threads.factory("listener-events-" + n));
        acceptPool = new ThreadPoolExecutor(ACCEPT_THREADS, ACCEPT_THREADS, 5, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), Threads.factory("listener-" + n + "-accept"));
        acceptPool.allowCoreThreadTimeOut(true);
        http = new ListenerHttp(config, id, n, () -> closed);
        SharedScheduler.acquire();
        schedulerHeld = true;
      }
      state = ListenerState.CONNECTING;
      fire(e -> e.onConnecting(null));
    }
    ControlChannel cc;
    try {
      cc = connectChannel();
    } catch (IOException | RuntimeException e) {
      synchronized (lock) {
        lastError = e;
        if (!closed) {
          state = ListenerState.OFFLINE;
          fire(ev -> ev.onOffline(e));
        }
      }
      throw e;
    }
    synchronized (lock) {
      if (closed) {
        cc.close();
        throw new SocketException("The listener is closed");
      }
      channel = cc;
      state = ListenerState.ONLINE;
      fire(RelayListenerEvents::onOnline);
      supervisor = Threads.start("listener-" + n, this::supervise);
    }
    log.info("Listener {} online at {}", id, Redaction.uri(address()));
    scheduleRenewal();
  }

  private void supervise() {
    while (!closed) {
      ControlChannel cc = channel;
      Throwable cause;
      try {
        cause = cc.lost.get();
      } catch (InterruptedException e) {
        return;
      } catch (ExecutionException e) {
        cause = e.getCause();
      }
      synchronized (lock) {
        if (closed) {
          return;
        }
        lastError = cause;
        state = ListenerState.CONNECTING;
        Throwable c = cause;
        fire(e -> e.onConnecting(c));
      }
      log.info("Listener {}: control channel lost ({}); reconnecting", id, Redaction.text(String.valueOf(cause)));
      for (int attempt = 0; ; attempt++) {
        try {
          Thread.sleep(backoffMillis(attempt));
        } catch (InterruptedException e) {
          return;
        }
        if (closed) {
          return;
        }
        try {
          cc = connectChannel();
        } catch (IOException | RuntimeException e) {
          lastError = e;
          if (isPermanent(e)) {
            goOffline(e);
            return;
          }
          log.info("Listener {}: reconnect attempt {} failed: {}", id, attempt + 1, Redaction.text(e.getMessage()));
          continue;
        }
        synchronized (lock) {
          if (closed) {
            cc.close();
            return;
          }
          channel = cc;
          state = ListenerState.ONLINE;
          fire(RelayListenerEvents::onOnline);
        }
        log.info("Listener {} back online", id);
        break;
      }
    }
  }

  /** Reconnect delay: the SDK schedule plus up to 20 % jitter. */
  static long backoffMillis(int attempt) {
    long base = BACKOFF_SECONDS[Math.min(attempt, BACKOFF_SECONDS.length - 1)] * 1000L;
    return base == 0 ? 0 : base + ThreadLocalRandom.current().nextLong(base / 5 + 1);
  }

  /** 404 (entity gone) and 401/403 (credentials refused) end reconnecting. */
  static boolean isPermanent(Throwable e) {
    if (e instanceof RelayConnectException) {
      int s = ((RelayConnectException) e).statusCode();
      return s == 404 || s == 401 || s == 403;
    }
    return false;
  }

  private void goOffline(Throwable cause) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      state = ListenerState.OFFLINE;
      lastError = cause;
      fire(e -> e.onOffline(cause));
      lock.notifyAll();
    }
    log.warn("Listener {} offline: {}", id, Redaction.text(String.valueOf(cause)));
  }

  public void close() throws IOException {
    ControlChannel cc;
    List<ConnectionImpl> queued;
    boolean wasOpened;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      wasOpened = events != null;
      state = ListenerState.CLOSED;
      cc = channel;
      queued = List.copyOf(backlog);
      backlog.clear();
      lock.notifyAll();
      if (wasOpened) {
        fire(e -> e.onOffline(null));
      }
    }
    Thread sup = supervisor;
    if (sup != null) {
      sup.interrupt();
    }
    ScheduledFuture<?> r = renewalTask;
    if (r != null) {
      r.cancel(false);
    }
    if (cc != null) {
      cc.close();
    }
    for (ConnectionImpl c : queued) {
      c.abort();
    }
    if (!wasOpened) {
      return;
    }
    acceptPool.shutdownNow();
    http.shutdown();
    handlerPool.shutdown(); // running handlers go on with their connections; idle threads end
    events.shutdown();
    try {
      if (sup != null) {
        sup.join(CLOSE_WAIT_MILLIS);
      }
      acceptPool.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      events.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (lock) {
      // connections that completed their handshake while closing
      for (ConnectionImpl c : backlog) {
        c.abort();
      }
      backlog.clear();
    }
    boolean release;
    synchronized (lock) {
      release = schedulerHeld;
      schedulerHeld = false;
    }
    if (release) {
      SharedScheduler.release();
    }
    log.info("Listener {} closed", id);
  }

  private void fire(Consumer<RelayListenerEvents> call) {
    if (config.events().isEmpty() || events == null) {
      return;
    }
    events.execute(() -> {
      for (RelayListenerEvents e : config.events()) {
        try {
          call.accept(e);
        } catch (RuntimeException ex) {
          log.warn("A listener event receiver failed", ex);
        }
      }
    });
  }

  // ------------------------------------------------------------------ accept()

  public RelayConnection accept(Duration timeout) throws IOException {
    long timeoutNanos = timeout == null ? 0 : timeout.toNanos();
    long deadline = System.nanoTime() + timeoutNanos;
    synchronized (lock) {
      while (backlog.isEmpty()) {
        if (closed) {
          throw new SocketException("The listener is closed");
        }
        if (state == ListenerState.OFFLINE) {
          SocketException e = new SocketException("The listener is offline: "
              + Redaction.text(String.valueOf(lastError == null ? "not open" : lastError.getMessage())));
          if (lastError != null) {
            e.initCause(lastError);
          }
          throw e;
        }
        Threads.awaitAccept(lock, timeoutNanos, deadline);
      }
      return backlog.poll();
    }
  }

  // ------------------------------------------------------------------ control channel

  private ControlChannel connectChannel() throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Relay-User-Agent", UserAgent.VALUE);
    SecurityToken token = tokens.get();
    if (token != null) {
      headers.put("ServiceBusAuthorization", token.token());
    }
    URI uri = RelayUris.listenUri(config.connectionString(), config.listenQuery(), id);
    long timeout = config.operationTimeout().toMillis();
    RelayWebSocket ws = new RelayWebSocket("listener-" + n, uri, headers, List.of(), MAX_CONTROL_MESSAGE,
        (int) Math.min(Integer.MAX_VALUE, timeout), id);
    ControlChannel cc = new ControlChannel(ws);
    ws.setHandler(cc);
    log.debug("Listener {} connecting to {}", id, ws.safeUri());
    ws.open(config.sslContext(), config.proxy(), timeout);
    cc.start();
    return cc;
  }

  private void scheduleRenewal() {
    if (closed) {
      return;
    }
    Instant at = tokens.renewalTime();
    if (at.equals(Instant.MAX)) {
      return;
    }
    long delay = Math.max(100, Duration.between(tokens.clock().instant(), at).toMillis());
    renewalTask = SharedScheduler.once(delay, () -> {
      try {
        acceptPool.execute(this::renewToken);
      } catch (RuntimeException e) {
        // closed
      }
    });
  }

  private void renewToken() {
    if (closed) {
      return;
    }
    try {
      SecurityToken current = tokens.peek();
      String old = current == null ? null : current.token();
      SecurityToken t = tokens.refresh();
      ControlChannel cc = channel;
      if (t != null && cc != null && !t.token().equals(old)) {
        String msg = ControlMessages.renewToken(t.token());
        boolean sent;
        synchronized (sendLock) {
          sent = cc.ws.sendText(msg);
        }
        if (sent) {
          log.debug("Listener {} renewed its token (expires {})", id, t.expiresAt());
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("Listener {} could not renew its token: {}", id, Redaction.text(String.valueOf(e.getMessage())));
    }
    scheduleRenewal();
  }

  /** One control-channel WebSocket. */
  private final class ControlChannel implements RelayWebSocket.Handler, ListenerHttp.ControlSender {
    final RelayWebSocket ws;
    final CompletableFuture<Throwable> lost = new CompletableFuture<>();
    private volatile Throwable cause;
    private volatile boolean closing;
    private volatile ScheduledFuture<?> keepAlive;

    ControlChannel(RelayWebSocket ws) {
      this.ws = ws;
    }

    void start() {
      long interval = config.keepAliveInterval() == null ? 0 : config.keepAliveInterval().toMillis();
      if (interval > 0) {
        keepAlive = SharedScheduler.every(interval, () -> {
          long silent = System.nanoTime() - ws.lastReceivedNanos();
          if (silent > TimeUnit.MILLISECONDS.toNanos(2 * interval)) {
            cause = new SocketTimeoutException("No traffic on the control channel for "
                + TimeUnit.NANOSECONDS.toMillis(silent) + " ms (keep-alive timeout)");
            log.info("Listener {}: {}", id, cause.getMessage());
            ws.abort();
          } else {
            ws.ping();
          }
        });
      }
      if (ws.isTerminated()) {
        onClosed(1006, "", true);
      }
    }

    void close() {
      closing = true;
      if (ws.sendClose(1000, "Normal Closure")) {
        try {
          if (!ws.awaitClosed(CLOSE_WAIT_MILLIS)) {
            ws.abort();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          ws.abort();
        }
      } else {
        ws.abort();
      }
      stopKeepAlive();
    }

    private void stopKeepAlive() {
      ScheduledFuture<?> k = keepAlive;
      if (k != null) {
        k.cancel(false);
      }
    }

    @Override
    public void onText(String text) {
      ControlMessages.Message msg;
      ControlMessages.Request request = null;
      try {
        msg = ControlMessages.parse(text);
        request = msg.request;
      } catch (IOException | RuntimeException e) {
        log.warn("Listener {}: ignoring a malformed control message", id);
        return;
      }
      if (msg.kind == ControlMessages.Kind.NOT_AN_OBJECT) {
        log.warn("Listener {}: ignoring a control message that is not a JSON object", id);
        return;
      }
      if (msg.kind == ControlMessages.Kind.ACCEPT) {
        ControlMessages.Accept accept = msg.accept;
        try {
          acceptPool.execute(() -> {
            try {
              handleAccept(accept);
            } catch (RuntimeException e) {
              log.warn("Listener {}: cannot handle an accept message: {}", id,
                  Redaction.text(String.valueOf(e.getMessage())));
            }
          });
        } catch (RuntimeException e) {
          log.debug("Listener {}: closed, dropping an accept", id);
        }
      } else if (request != null) {
        answerHttpRequest(request);
      } else {
        String shown = text.length() > 1024 ? text.substring(0, 1024) + "..." : text;
        log.debug("Listener {}: ignoring unknown control message {}", id, Redaction.text(shown));
      }
    }

    /** An inline request whose body (the next binary message) has not arrived yet. */
    private ControlMessages.Request awaitingBody;

    private void answerHttpRequest(ControlMessages.Request request) {
      if (request.hasMethod && request.body) {
        awaitingBody = request;
        return;
      }
      http.submit(this, request, null);
    }

    @Override
    public void onBinary(ByteBuffer data) {
      ControlMessages.Request request = awaitingBody;
      awaitingBody = null;
      if (request == null) {
        log.debug("Listener {}: ignoring a binary message on the control channel", id);
        return;
      }
      byte[] body = new byte[data.remaining()];
      data.get(body);
      http.submit(this, request, body);
    }

    /** Responses waiting for the thread that writes them (see {@link #sendResponse}). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Object[]> responses =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicBoolean writingResponses =
        new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Sends a response message and its body back to back (no other message between them). Request
     * threads that answer at the same time do not wait for each other: one of them writes all
     * waiting responses together (one socket write where it takes them), the others return at once.
     */
    @Override
    public void sendResponse(byte[] json, byte[] body) throws IOException {
      if (ws.isTerminated()) {
        throw new SocketException("The control channel is closed; the response was not sent");
      }
      responses.add(new Object[] {json, body});
      IoLoop l = ws.loop();
      if (l != null && l.inLoop()) {
        // answered on the I/O thread (the non-blocking path): all answers of this round in one write
        if (!drainScheduled) {
          drainScheduled = true;
          l.executeLater(this::drainResponses);
        }
        return;
      }
      if (!writeResponses()) {
        throw new SocketException("The control channel is closed; the response was not sent");
      }
    }

    @Override
    public IoLoop loop() {
      return ws.loop();
    }

    /** Loop thread only. */
    private boolean drainScheduled;

    private void drainResponses() {
      drainScheduled = false;
      if (!writeResponses()) {
        log.debug("Listener {}: the control channel closed; {} responses not sent", id, responses.size());
        responses.clear();
      }
    }

    private boolean writeResponses() {
      boolean ok = true;
      while (!responses.isEmpty() && writingResponses.compareAndSet(false, true)) {
        try {
          synchronized (sendLock) {
            ok &= ws.sendTogether(() -> {
              boolean all = true;
              Object[] r;
              while ((r = responses.poll()) != null) {
                byte[] b = (byte[]) r[1];
                all &= ws.sendTextUtf8((byte[]) r[0]) && (b == null || ws.sendBinary(ByteBuffer.wrap(b)));
              }
              return all;
            });
          }
        } finally {
          writingResponses.set(false);
        }
      }
      return ok;
    }

    @Override
    public void onPeerClose(int code, String reason) {
      if (closing) {
        ws.finishClose(code, reason);
        return;
      }
      cause = new SocketException("The relay closed the control channel with code " + code
          + (reason == null || reason.isEmpty() ? "" : ": " + Redaction.text(reason)));
      ws.closeNow(code, reason);
    }

    @Override
    public void onClosed(int code, String reason, boolean remote) {
      stopKeepAlive();
      Throwable c = cause;
      if (c == null) {
        c = new SocketException("The control channel was lost (code " + code + ")");
      }
      lost.complete(c);
    }
  }

  // ------------------------------------------------------------------ accept handling

  private void handleAccept(ControlMessages.Accept accept) {
    String address = accept.address;
    String trackingId = accept.id;
    if (address == null || address.isEmpty()) {
      log.warn("Listener {}: ignoring an accept message without address", id);
      return;
    }
    URI a;
    try {
      a = URI.create(address);
    } catch (IllegalArgumentException e) {
      log.warn("Listener {}: ignoring an accept message with a malformed address", id);
      return;
    }
    if (!RelayUris.isAllowedRendezvous(config.connectionString(), a)) {
      log.warn("Listener {}: refusing rendezvous address {} for connection {}: it is not the relay endpoint "
          + "{} (or, over wss, a gateway host of its domain on port 443)",
          id, Redaction.uri(a), trackingId, config.connectionString().endpoint());
      return;
    }
    Map<String, String> headers = new LinkedHashMap<>(accept.connectHeaders);
    InetSocketAddress remote = accept.remote == null ? null
        : InetSocketAddress.createUnresolved(accept.remote.address, accept.remote.port);
    URI endpoint = config.connectionString().endpoint();
    ConnectionRequestImpl request = new ConnectionRequestImpl(address, trackingId, headers, remote,
        endpoint.getScheme(), endpoint.getRawAuthority(), config.connectionString().entityPath());

    boolean full;
    synchronized (lock) {
      if (closed) {
        return;
      }
      full = backlog.size() + reserved >= Math.max(1, config.backlog());
      if (!full) {
        reserved++;
      }
    }
    if (full) {
      reject(request, 503, "The listener's backlog is full");
      return;
    }
    acceptWithSlot(request);
  }

  private void acceptWithSlot(ConnectionRequestImpl request) {
    boolean slotHeld = true;
    try {
      boolean accepted;
      try {
        accepted = config.acceptHandler() == null || config.acceptHandler().accept(request);
      } catch (Exception e) {
        if (closed) {
          return;
        }
        log.warn("Listener {}: the accept handler failed for connection {}", id, request.trackingId(), e);
        reject(request, 502, "The listener's accept handler threw an exception");
        return;
      }
      if (!accepted) {
        reject(request, request.rejectStatus(), request.rejectDescription());
        return;
      }
      ConnectionImpl conn = rendezvous(request);
      if (conn == null) {
        return;
      }
      Consumer<RelayConnection> handler = config.connectionHandler();
      synchronized (lock) {
        reserved--;
        slotHeld = false;
        if (closed) {
          conn.abort();
          return;
        }
        if (handler == null) {
          backlog.add(conn);
          lock.notifyAll();
          return;
        }
      }
      try {
        handlerPool.execute(() -> handler.accept(conn));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        conn.abort(); // the listener closed meanwhile
      }
    } finally {
      if (slotHeld) {
        synchronized (lock) {
          reserved--;
        }
      }
    }
  }

  private ConnectionImpl rendezvous(ConnectionRequestImpl request) {
    String sub = request.selectedSubprotocol();
    URI uri = URI.create(request.address());
    RelayWebSocket ws = new RelayWebSocket("rendezvous", uri, Map.of(), sub == null ? List.of() : List.of(sub),
        config.maxIncomingMessageSize(), (int) config.acceptDeadline().toMillis(), request.trackingId());
    ConnectionImpl conn = new ConnectionImpl(ws, config.receiveWindow(), config.sendWindow(),
        config.maxMessageSize(), config.keepAliveInterval(), request.remoteAddress(), request.headers(),
        request.trackingId());
    ws.setHandler(conn);
    try {
      ws.open(config.sslContext(), config.proxy(), config.acceptDeadline().toMillis());
    } catch (IOException e) {
      log.warn("Listener {}: accepting connection {} at {} failed: {}", id, request.trackingId(),
          Redaction.uri(uri), Redaction.text(e.getMessage()));
      return null;
    }
    conn.start(c -> { });
    log.debug("Listener {} accepted connection {}", id, request.trackingId());
    return conn;
  }

  private void reject(ConnectionRequestImpl request, int status, String description) {
    URI uri;
    try {
      uri = RelayUris.rejectUri(request.address(), status, description);
    } catch (IllegalArgumentException e) {
      log.warn("Listener {}: cannot build the reject address for {}", id, request.trackingId());
      return;
    }
    RelayWebSocket ws = new RelayWebSocket("reject", uri, Map.of(), List.of(), 64 * 1024,
        (int) config.acceptDeadline().toMillis(), request.trackingId());
    try {
      ws.open(config.sslContext(), config.proxy(), config.acceptDeadline().toMillis());
      log.warn("Listener {}: the relay opened a WebSocket for the rejection of {}", id, request.trackingId());
      ws.abort();
    } catch (RelayConnectException e) {
      if (e.statusCode() == 410) {
        log.debug("Listener {} rejected connection {} with {}", id, request.trackingId(), status);
      } else {
        log.warn("Listener {}: rejecting connection {} failed: {}", id, request.trackingId(), e.getMessage());
      }
    } catch (IOException e) {
      log.warn("Listener {}: rejecting connection {} failed: {}", id, request.trackingId(),
          Redaction.text(e.getMessage()));
    }
  }

  // ------------------------------------------------------------------ accessors

  public ListenerState state() {
    return state;
  }

  public Throwable lastError() {
    return lastError;
  }

  public URI address() {
    URI e = config.connectionString().endpoint();
    return URI.create(e.getScheme() + "://" + e.getRawAuthority() + "/" + config.connectionString().entityPath());
  }

  public String trackingId() {
    return id;
  }
}
