package dev.hybridrelay.core.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Daemon threads named {@code hybridrelay-…}. */
public final class Threads {
  private static final Logger log = LoggerFactory.getLogger(Threads.class);
  private static final AtomicInteger IDS = new AtomicInteger();

  private Threads() {}

  /** A fresh number for thread and object names. */
  public static int nextId() {
    return IDS.incrementAndGet();
  }

  /** Starts a daemon thread named {@code hybridrelay-{name}}. */
  public static Thread start(String name, Runnable task) {
    Thread t = new Thread(() -> {
      try {
        task.run();
      } catch (Throwable e) {
        log.error("Unexpected failure in thread {}", Thread.currentThread().getName(), e);
      }
    }, "hybridrelay-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * One wait of an accept loop on {@code lock}'s monitor (held by the caller): until notified, or
   * until {@code deadline} ({@link System#nanoTime()}) when {@code timeoutNanos > 0}.
   *
   * @throws java.net.SocketTimeoutException when the deadline has passed
   * @throws java.io.InterruptedIOException when interrupted (the interrupt flag is set again)
   */
  public static void awaitAccept(Object lock, long timeoutNanos, long deadline) throws java.io.IOException {
    try {
      if (timeoutNanos > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new java.net.SocketTimeoutException("Accept timed out");
        }
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(lock, left);
      } else {
        lock.wait();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("Interrupted while waiting for a connection");
    }
  }

  /** A factory of daemon threads named {@code hybridrelay-{prefix}-{n}}. */
  public static ThreadFactory factory(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "hybridrelay-" + prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
