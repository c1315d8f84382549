package dev.hybridrelay.forward.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Daemon threads named {@code hybridrelay-forward-…}. */
public final class ForwardThreads {
  private static final AtomicInteger HANDSHAKE_IDS = new AtomicInteger();

  /**
   * Runs connection handshakes (relay connect, preamble, target connect). Threads are reused while
   * connections keep arriving and end after {@link #HANDSHAKE_KEEP_ALIVE_SECONDS} idle seconds, so a
   * burst of connections does not pay for a new thread each, and an idle process keeps none.
   */
  private static final ExecutorService HANDSHAKES = new ThreadPoolExecutor(0, Integer.MAX_VALUE,
      ForwardThreads.HANDSHAKE_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS, new SynchronousQueue<>(),
      r -> newThread("handshake-" + HANDSHAKE_IDS.incrementAndGet(), r));

  /** Idle time after which a handshake thread ends. */
  public static final long HANDSHAKE_KEEP_ALIVE_SECONDS = 2;

  private ForwardThreads() {}

  /** A new, unstarted daemon thread named {@code hybridrelay-forward-<suffix>}. */
  public static Thread newThread(String suffix, Runnable task) {
    Thread t = new Thread(task, "hybridrelay-forward-" + suffix);
    t.setDaemon(true);
    return t;
  }

  /**
   * Runs a connection's handshake on a pooled daemon thread ({@code hybridrelay-forward-handshake-n}).
   *
   * @throws java.util.concurrent.RejectedExecutionException if no thread can be started
   */
  public static void handshake(Runnable task) {
    HANDSHAKES.execute(task);
  }
}
