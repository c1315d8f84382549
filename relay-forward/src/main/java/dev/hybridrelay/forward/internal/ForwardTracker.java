package dev.hybridrelay.forward.internal;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.forward.ForwardEvents;
import dev.hybridrelay.forward.ForwardFailure;
import dev.hybridrelay.forward.ForwardOptions;
import dev.hybridrelay.forward.ForwardOutcome;
import dev.hybridrelay.forward.ForwardStats;
import dev.hybridrelay.forward.ForwardedConnection;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A forwarder's bookkeeping: the connection limit, the live connections (in handshake and
 * forwarding), counters, events, and the shared watchdog that enforces idle and write timeouts.
 */
public final class ForwardTracker {
  private static final Logger log = LoggerFactory.getLogger(ForwardTracker.class);
  private static final Set<ForwardPump> WATCHED = ConcurrentHashMap.newKeySet();
  private static final Set<Flow> WATCHED_FLOWS = ConcurrentHashMap.newKeySet();
  private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "hybridrelay-forward-watchdog");
    t.setDaemon(true);
    return t;
  });

  static {
    WATCHDOG.scheduleWithFixedDelay(ForwardTracker::checkAll, 250, 250, TimeUnit.MILLISECONDS);
  }

  private final ForwardOptions options;
  private final ForwardEvents events;
  private final String idPrefix;
  private static final AtomicLong IDS = new AtomicLong();
  private final AtomicInteger reserved = new AtomicInteger();
  private final Set<ForwardPump> pumps = ConcurrentHashMap.newKeySet();
  private final Set<Handshake> handshakes = ConcurrentHashMap.newKeySet();
  private final Set<Flow> flows = ConcurrentHashMap.newKeySet();
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong bytesToRelay = new AtomicLong();
  private final AtomicLong bytesFromRelay = new AtomicLong();
  private volatile boolean closing;

  public ForwardTracker(String idPrefix, ForwardOptions options, ForwardEvents events) {
    this.idPrefix = idPrefix;
    this.options = options;
    this.events = events == null ? new ForwardEvents() {} : events;
  }

  public ForwardOptions options() {
    return options;
  }

  /** A new connection id, {@code <prefix>-<n>}. */
  public String nextId() {
    return idPrefix + "-" + IDS.incrementAndGet();
  }

  /** Reserves a slot under the connection limit; false if the limit is reached or closing. */
  public boolean tryReserve() {
    while (true) {
      int n = reserved.get();
      if (closing || n >= options.maxConnections()) {
        return false;
      }
      if (reserved.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Whether a new connection would be admitted now (no reservation). */
  public boolean hasRoom() {
    return !closing && reserved.get() < options.maxConnections();
  }

  /** Releases a slot reserved by {@link #tryReserve()} for a connection that never started a pump. */
  public void release() {
    reserved.decrementAndGet();
  }

  public boolean isClosing() {
    return closing;
  }

  /** A connection in its handshake, abortable by {@link #closeAll}. */
  public final class Handshake implements AutoCloseable {
    private volatile SocketChannel socket;
    private volatile RelayConnection relay;
    private volatile boolean aborted;

    private Handshake(SocketChannel socket) {
      this.socket = socket;
    }

    /** Records the relay connection; aborts it at once if the handshake was already aborted. */
    public void relay(RelayConnection relay) {
      this.relay = relay;
      if (aborted) {
        relay.abort();
      }
    }

    /** Records the socket (remote side: the target socket is made during the handshake). */
    public void socket(SocketChannel socket) {
      this.socket = socket;
      if (aborted) {
        ForwardPump.resetSocket(socket);
      }
    }

    /** Whether the forwarder aborted this handshake because it is closing. */
    public boolean isAborted() {
      return aborted;
    }

    void abort() {
      aborted = true;
      SocketChannel s = socket;
      if (s != null) {
        ForwardPump.resetSocket(s);
      }
      RelayConnection r = relay;
      if (r != null) {
        r.abort();
      }
    }

    /** The handshake is over (forwarding started or it failed); unregisters it. Idempotent. */
    public void finished() {
      handshakes.remove(this);
    }

    @Override
    public void close() {
      finished();
    }
  }

  /** Registers a handshake so that closing the forwarder can abort it. */
  public Handshake handshake(SocketChannel socket) {
    Handshake h = new Handshake(socket);
    handshakes.add(h);
    if (closing) {
      h.abort();
    }
    return h;
  }

  /** Creates and registers the pump for a connection whose handshake succeeded. */
  public ForwardPump startPump(String id, String hybridConnection, String portName, SocketChannel socket,
      SocketAddress peer, RelayConnection relay) {
    ForwardPump pump = new ForwardPump(id, hybridConnection, portName, socket, peer, relay, this);
    pumps.add(pump);
    WATCHED.add(pump);
    total.incrementAndGet();
    if (closing) {
      pump.abort(ForwardOutcome.FORWARDER_CLOSED, null);
    }
    try {
      events.onOpened(pump);
    } catch (RuntimeException e) {
      log.warn("A ForwardEvents.onOpened handler failed", e);
    }
    return pump;
  }

  void ended(ForwardPump pump) {
    WATCHED.remove(pump);
    pumps.remove(pump);
    reserved.decrementAndGet();
    if (pump.outcome().orElse(ForwardOutcome.CLOSED) != ForwardOutcome.CLOSED) {
      failed.incrementAndGet();
    }
    try {
      events.onClosed(pump);
    } catch (RuntimeException e) {
      log.warn("A ForwardEvents.onClosed handler failed", e);
    }
  }

  /** Counts and reports a refused connection. */
  public void refused(ForwardFailure failure) {
    refused.incrementAndGet();
    try {
      events.onRefused(failure);
    } catch (RuntimeException e) {
      log.warn("A ForwardEvents.onRefused handler failed", e);
    }
  }

  public void addToRelay(long n) {
    bytesToRelay.addAndGet(n);
  }

  public void addFromRelay(long n) {
    bytesFromRelay.addAndGet(n);
  }

  // ---------------------------------------------------------------- flows (UDP)

  /**
   * A forwarded connection that is not a {@link ForwardPump} (a UDP flow): counted, reported,
   * checked by the watchdog and closed with the forwarder like a pump.
   */
  public interface Flow extends ForwardedConnection {
    /** Ends the flow at once; the first reason wins. Safe from any thread. */
    void abort(ForwardOutcome reason, Throwable cause);

    /** Waits for the flow to have ended (cleanly or not). */
    boolean await(Duration timeout) throws InterruptedException;

    /** Called by the watchdog every 250 ms with {@link System#nanoTime()}. */
    void checkTimeouts(long now);
  }

  /** Registers a flow whose handshake succeeded (its slot was reserved by {@link #tryReserve()}). */
  public void flowOpened(Flow flow) {
    flows.add(flow);
    WATCHED_FLOWS.add(flow);
    total.incrementAndGet();
    if (closing) {
      flow.abort(ForwardOutcome.FORWARDER_CLOSED, null);
    }
    try {
      events.onOpened(flow);
    } catch (RuntimeException e) {
      log.warn("A ForwardEvents.onOpened handler failed", e);
    }
  }

  /** A flow registered with {@link #flowOpened} ended; releases its slot. Call once. */
  public void flowEnded(Flow flow) {
    WATCHED_FLOWS.remove(flow);
    if (!flows.remove(flow)) {
      return;
    }
    reserved.decrementAndGet();
    ForwardOutcome o = flow.outcome().orElse(ForwardOutcome.CLOSED);
    if (o != ForwardOutcome.CLOSED && o != ForwardOutcome.IDLE_TIMEOUT) {
      failed.incrementAndGet();
    }
    try {
      events.onClosed(flow);
    } catch (RuntimeException e) {
      log.warn("A ForwardEvents.onClosed handler failed", e);
    }
  }

  public ForwardStats stats() {
    return new ForwardStats(Math.max(0, reserved.get()), total.get(), refused.get(), failed.get(),
        bytesToRelay.get(), bytesFromRelay.get());
  }

  public List<ForwardedConnection> connections() {
    List<ForwardedConnection> all = new ArrayList<>(pumps);
    all.addAll(flows);
    return all;
  }

  /**
   * Stops admitting connections, waits up to {@code grace} for forwarded connections to finish,
   * then aborts the rest. Handshakes in progress are aborted at once.
   */
  public void closeAll(Duration grace) {
    closing = true;
    for (Handshake h : handshakes) {
      h.abort();
    }
    closeFlows();
    long deadline = System.nanoTime() + grace.toNanos();
    List<ForwardPump> open = new ArrayList<>(pumps);
    for (ForwardPump p : open) {
      long left = deadline - System.nanoTime();
      try {
        if (left <= 0 || !p.await(Duration.ofNanos(left))) {
          p.abort(ForwardOutcome.FORWARDER_CLOSED, null);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.abort(ForwardOutcome.FORWARDER_CLOSED, null);
      }
    }
    // Pumps that started while closing were aborted by startPump; wait for all of them to end, so
    // that their onClosed events have been delivered when close() returns.
    open.addAll(pumps);
    for (ForwardPump p : open) {
      p.abort(ForwardOutcome.FORWARDER_CLOSED, null);
      try {
        p.await(Duration.ofSeconds(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** UDP flows carry no stream to finish: they are ended at once, and awaited briefly for their events. */
  private void closeFlows() {
    List<Flow> open = new ArrayList<>(flows);
    for (Flow f : open) {
      f.abort(ForwardOutcome.FORWARDER_CLOSED, null);
    }
    for (Flow f : open) {
      try {
        f.await(Duration.ofSeconds(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void checkAll() {
    long now = System.nanoTime();
    for (Flow f : WATCHED_FLOWS) {
      try {
        f.checkTimeouts(now);
      } catch (RuntimeException e) {
        log.warn("Watchdog check failed for {}", f.id(), e);
      }
    }
    for (ForwardPump p : WATCHED) {
      try {
        p.checkTimeouts(now);
      } catch (RuntimeException e) {
        log.warn("Watchdog check failed for {}", p.id(), e);
      }
    }
  }
}
