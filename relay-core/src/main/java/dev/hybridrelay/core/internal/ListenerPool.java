package dev.hybridrelay.core.internal;

import dev.hybridrelay.core.AcceptHandler;
import dev.hybridrelay.core.ListenerState;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.RelayListenerEvents;
import dev.hybridrelay.core.RelayTimeoutException;
import java.io.IOException;
import java.net.SocketException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener registered with several independent relay nodes at once (one hybrid connection, one
 * endpoint per node, no state shared between the nodes).
 *
 * <p>Each node gets its own registration: a {@link ListenerImpl} with that node's endpoint and a
 * thread {@code hybridrelay-listener-pool-{n}-{i}} that opens it, watches it and, when its control
 * channel is lost, closes it and opens a new one: at once, then every retry interval (up to 20 %
 * jitter) until the node answers again, independently of the other nodes. A registration refused
 * for good (404, 401, 403) stays offline. Connections accepted on any node go to one queue
 * ({@link #accept}) or to the connection handler. The pool is online while at least one
 * registration is.
 */
public final class ListenerPool {
  private static final Logger log = LoggerFactory.getLogger(ListenerPool.class);

  private final ListenerConfig base;
  private final Duration retryInterval;
  private final int n = Threads.nextId();
  private final String id = UUID.randomUUID().toString();
  private final List<Registration> registrations = new ArrayList<>();
  private final Object lock = new Object();
  private final ArrayDeque<RelayConnection> backlog = new ArrayDeque<>();
  private ListenerState state = ListenerState.NEW;
  private volatile Throwable lastError;
  private boolean closed;
  private ExecutorService events;

  /**
   * @param base the settings (events, backlog, handlers) of the pooled listener
   * @param endpoints one relay endpoint per node
   * @param retryInterval delay between attempts to re-register with a node that is unreachable
   */
  public ListenerPool(ListenerConfig base, List<URI> endpoints, Duration retryInterval) {
    this.base = base;
    this.retryInterval = retryInterval;
    for (int i = 0; i < endpoints.size(); i++) {
      registrations.add(new Registration(i, endpoints.get(i)));
    }
  }

  // ------------------------------------------------------------------ life cycle

  /** Starts every registration; returns once one is online, throws if none could register. */
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
      }
      state = ListenerState.CONNECTING;
      fire(e -> e.onConnecting(null));
      for (Registration r : registrations) {
        r.firstAttemptDone = false;
        r.firstError = null;
        r.state = ListenerState.CONNECTING;
        r.stopped = false;
        r.thread = Threads.start("listener-pool-" + n + "-" + r.index, r::run);
      }
    }
    long timeout = base.operationTimeout().toMillis() + 5_000;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
    IOException failure;
    synchronized (lock) {
      while (true) {
        if (closed) {
          throw new SocketException("The listener is closed");
        }
        if (state == ListenerState.ONLINE) {
          log.info("Listener {} online at {} of {} relay nodes", id, onlineCount(), registrations.size());
          return;
        }
        boolean allFailed = registrations.stream().allMatch(r -> r.firstAttemptDone && r.state != ListenerState.ONLINE);
        long left = deadline - System.nanoTime();
        if (allFailed || left <= 0) {
          failure = allFailed ? firstFailure() : new RelayTimeoutException(0, "No relay node registered the listener "
              + "within " + timeout + " ms", id);
          for (Registration r : registrations) {
            r.stopped = true;
          }
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("Interrupted while opening the listener");
        }
      }
    }
    stopRegistrations();
    synchronized (lock) {
      lastError = failure;
      if (!closed && state != ListenerState.OFFLINE) {
        state = ListenerState.OFFLINE;
        IOException f = failure;
        fire(e -> e.onOffline(f));
      }
    }
    throw failure;
  }

  private IOException firstFailure() {
    IOException first = null;
    for (Registration r : registrations) {
      Throwable t = r.firstError;
      IOException e = t instanceof IOException ? (IOException) t
          : new IOException(String.valueOf(t == null ? "not registered" : t.getMessage()), t);
      if (first == null) {
        first = e;
      } else if (first != e) {
        first.addSuppressed(e);
      }
    }
    return first;
  }

  private void stopRegistrations() {
    List<Registration> rs;
    synchronized (lock) {
      rs = List.copyOf(registrations);
    }
    for (Registration r : rs) {
      Thread t = r.thread;
      if (t != null) {
        t.interrupt();
      }
    }
    for (Registration r : rs) {
      Thread t = r.thread;
      if (t != null) {
        try {
          t.join(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Closes every registration; queued connections are aborted, accepted ones stay open. */
  public void close() throws IOException {
    List<RelayConnection> queued;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      boolean wasOpened = events != null;
      state = ListenerState.CLOSED;
      for (Registration r : registrations) {
        r.stopped = true;
      }
      queued = List.copyOf(backlog);
      backlog.clear();
      lock.notifyAll();
      if (wasOpened) {
        fire(e -> e.onOffline(null));
      }
    }
    stopRegistrations();
    for (Registration r : registrations) {
      ListenerImpl l = r.current;
      if (l != null) {
        l.close();
      }
    }
    for (RelayConnection c : queued) {
      c.abort();
    }
    ExecutorService ev;
    synchronized (lock) {
      ev = events;
    }
    if (ev != null) {
      ev.shutdown();
      try {
        ev.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    log.info("Listener {} closed", id);
  }

  // ------------------------------------------------------------------ state

  /** Recomputes the pooled state after a registration changed; call with the lock held. */
  private void updateState(Throwable cause) {
    if (closed || state == ListenerState.NEW) {
      return;
    }
    ListenerState before = state;
    ListenerState now;
    if (registrations.stream().anyMatch(r -> r.state == ListenerState.ONLINE)) {
      now = ListenerState.ONLINE;
    } else if (registrations.stream().allMatch(r -> r.state == ListenerState.OFFLINE)) {
      now = ListenerState.OFFLINE;
    } else {
      now = ListenerState.CONNECTING;
    }
    if (now == before) {
      return;
    }
    if (before == ListenerState.OFFLINE && now == ListenerState.CONNECTING) {
      return; // a failed open(): the registrations are being stopped
    }
    state = now;
    lock.notifyAll();
    if (now == ListenerState.ONLINE) {
      fire(RelayListenerEvents::onOnline);
    } else if (now == ListenerState.CONNECTING) {
      lastError = cause;
      fire(e -> e.onConnecting(cause));
    } else {
      lastError = cause;
      fire(e -> e.onOffline(cause));
      log.warn("Listener {} offline: every relay node refused it", id);
    }
  }

  private int onlineCount() {
    int c = 0;
    for (Registration r : registrations) {
      if (r.state == ListenerState.ONLINE) {
        c++;
      }
    }
    return c;
  }

  private void fire(Consumer<RelayListenerEvents> call) {
    if (base.events().isEmpty() || events == null) {
      return;
    }
    try {
      events.execute(() -> {
        for (RelayListenerEvents e : base.events()) {
          try {
            call.accept(e);
          } catch (RuntimeException ex) {
            log.warn("A listener event receiver failed", ex);
          }
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed
    }
  }

  // ------------------------------------------------------------------ accept()

  /** As {@link ListenerImpl#accept}, over the connections of every node. */
  public RelayConnection accept(Duration timeout) throws IOException {
    long timeoutNanos = timeout == null ? 0 : timeout.toNanos();
    long deadline = System.nanoTime() + timeoutNanos;
    synchronized (lock) {
      while (backlog.isEmpty()) {
        if (closed) {
          throw new SocketException("The listener is closed");
        }
        if (state == ListenerState.OFFLINE || state == ListenerState.NEW) {
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

  /**
   * The accept handler of every node: the pooled backlog first, then the application's handler.
   * Connections still in their rendezvous are not counted, so the backlog may be exceeded by those
   * (at most a few per node).
   */
  private boolean gate(dev.hybridrelay.core.RelayConnectionRequest request) throws Exception {
    if (base.connectionHandler() == null) {
      synchronized (lock) {
        if (backlog.size() >= Math.max(1, base.backlog())) {
          request.reject(503, "The listener's backlog is full");
          return false;
        }
      }
    }
    AcceptHandler user = base.acceptHandler();
    return user == null || user.accept(request);
  }

  private void deliver(RelayConnection c) {
    synchronized (lock) {
      if (closed) {
        c.abort();
        return;
      }
      backlog.add(c);
      lock.notifyAll();
    }
  }

  // ------------------------------------------------------------------ accessors

  public ListenerState state() {
    synchronized (lock) {
      return state;
    }
  }

  public Throwable lastError() {
    return lastError;
  }

  public String trackingId() {
    return id;
  }

  /** Each node's endpoint and the state of its registration, in the order given. */
  public Map<URI, ListenerState> registrations() {
    Map<URI, ListenerState> m = new LinkedHashMap<>();
    synchronized (lock) {
      for (Registration r : registrations) {
        m.put(r.endpoint, r.state);
      }
    }
    return Collections.unmodifiableMap(m);
  }

  /** The settings of one node's listener: its endpoint, the pool's handlers, its own events. */
  private ListenerConfig nodeConfig(URI endpoint, RelayListenerEvents ev) {
    ListenerConfig b = base;
    Consumer<RelayConnection> handler = b.connectionHandler() != null ? b.connectionHandler() : this::deliver;
    return new ListenerConfig(b.connectionString().toBuilder().endpoint(endpoint).build(), b.tokenProvider(),
        b.operationTimeout(), b.keepAliveInterval(), b.tokenValidity(), b.listenQuery(), this::gate, handler,
        List.of(ev),
        b.backlog(), b.receiveWindow(), b.sendWindow(), b.maxMessageSize(), b.maxIncomingMessageSize(),
        b.sslContext(), b.acceptDeadline(), b.requestHandler(), b.maxConcurrentRequests(), b.proxy());
  }

  /** One node: its current listener and the thread that keeps it registered. */
  private final class Registration {
    final int index;
    final URI endpoint;
    volatile ListenerImpl current;
    volatile Thread thread;
    /** Guarded by the pool's lock. */
    ListenerState state = ListenerState.NEW;
    boolean firstAttemptDone;
    Throwable firstError;
    volatile boolean stopped;

    Registration(int index, URI endpoint) {
      this.index = index;
      this.endpoint = endpoint;
    }

    private void set(ListenerState s, Throwable cause) {
      synchronized (lock) {
        if (state == s) {
          return;
        }
        state = s;
        if (s != ListenerState.ONLINE && cause != null) {
          lastError = cause;
        }
        fire(e -> e.onRegistrationChanged(endpoint, s, s == ListenerState.ONLINE ? null : cause));
        updateState(cause);
      }
    }

    void run() {
      String where = Redaction.uri(endpoint);
      int attempt = 0;
      while (!stopped && !Thread.currentThread().isInterrupted()) {
        java.util.concurrent.CompletableFuture<Throwable> lost = new java.util.concurrent.CompletableFuture<>();
        RelayListenerEvents watch = new RelayListenerEvents() {
          @Override
          public void onConnecting(Throwable cause) {
            if (cause != null) {
              lost.complete(cause);
            }
          }

          @Override
          public void onOffline(Throwable cause) {
            lost.complete(cause == null ? new SocketException("closed") : cause);
          }
        };
        ListenerImpl l = new ListenerImpl(nodeConfig(endpoint, watch));
        current = l;
        try {
          l.open();
        } catch (IOException | RuntimeException e) {
          closeQuietly(l);
          boolean permanent = ListenerImpl.isPermanent(e);
          synchronized (lock) {
            if (!firstAttemptDone) {
              firstAttemptDone = true;
              firstError = e;
              lock.notifyAll();
            }
          }
          if (stopped) {
            return;
          }
          set(permanent ? ListenerState.OFFLINE : ListenerState.CONNECTING, e);
          if (permanent) {
            log.warn("Listener {}: relay node {} refused the registration for good: {}", id, where,
                Redaction.text(String.valueOf(e.getMessage())));
            return;
          }
          log.info("Listener {}: relay node {} not reachable ({}); retrying", id, where,
              Redaction.text(String.valueOf(e.getMessage())));
          if (!pause(attempt++)) {
            return;
          }
          continue;
        }
        attempt = 0;
        if (stopped) {
          closeQuietly(l);
          return;
        }
        set(ListenerState.ONLINE, null); // before firstAttemptDone: open() must not see "done, not online"
        synchronized (lock) {
          firstAttemptDone = true;
          lock.notifyAll();
        }
        log.info("Listener {} registered with relay node {}", id, where);
        Throwable cause;
        try {
          cause = lost.get();
        } catch (InterruptedException e) {
          return; // closing: close() closes the current listener
        } catch (java.util.concurrent.ExecutionException e) {
          cause = e.getCause();
        }
        closeQuietly(l);
        if (stopped) {
          return;
        }
        boolean permanent = ListenerImpl.isPermanent(cause);
        set(permanent ? ListenerState.OFFLINE : ListenerState.CONNECTING, cause);
        if (permanent) {
          log.warn("Listener {}: relay node {} refused the registration for good: {}", id, where,
              Redaction.text(String.valueOf(cause)));
          return;
        }
        log.info("Listener {}: lost relay node {} ({}); re-registering", id, where,
            Redaction.text(String.valueOf(cause)));
      }
    }

    /** Waits before the next attempt: nothing after the first failure, then the retry interval. */
    private boolean pause(int attempt) {
      long base = attempt == 0 ? 0 : retryInterval.toMillis();
      long delay = base == 0 ? 0 : base + ThreadLocalRandom.current().nextLong(base / 5 + 1);
      try {
        Thread.sleep(delay);
        return !stopped;
      } catch (InterruptedException e) {
        return false;
      }
    }

    private void closeQuietly(ListenerImpl l) {
      try {
        l.close();
      } catch (IOException | RuntimeException e) {
        log.debug("Listener {}: closing the registration with {} failed: {}", id, Redaction.uri(endpoint), e.toString());
      }
    }
  }
}
