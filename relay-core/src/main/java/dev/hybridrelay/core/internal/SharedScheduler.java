package dev.hybridrelay.core.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One timer thread ({@code hybridrelay-timer-…}) shared by all keep-alive and token-renewal timers.
 * Reference counted: the thread exists while some listener or connection holds a reference (and for
 * {@link #LINGER_MILLIS} after the last one), so closing everything leaves no thread behind. Timer
 * tasks must be short and must not block.
 */
public final class SharedScheduler {
  private static final Object LOCK = new Object();
  private static ScheduledThreadPoolExecutor executor;
  private static int refs;
  private static long generation;
  /** How long the timer thread outlives its last reference. */
  static final long LINGER_MILLIS = 1_000;

  private SharedScheduler() {}

  /** Takes a reference; pair with {@link #release()}. */
  public static void acquire() {
    synchronized (LOCK) {
      if (refs++ == 0 && executor == null) {
        executor = new ScheduledThreadPoolExecutor(1, Threads.factory("timer"));
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      }
    }
  }

  /**
   * Drops a reference; the thread stops {@link #LINGER_MILLIS} after the last one was dropped, unless
   * a new reference was taken meanwhile (short connections one after another keep one thread).
   */
  public static void release() {
    synchronized (LOCK) {
      if (refs == 0) {
        return;
      }
      if (--refs == 0) {
        ScheduledThreadPoolExecutor current = executor;
        generation++;
        long gen = generation;
        current.schedule(() -> stopIfUnused(current, gen), LINGER_MILLIS, TimeUnit.MILLISECONDS);
      }
    }
  }

  private static void stopIfUnused(ScheduledThreadPoolExecutor which, long gen) {
    synchronized (LOCK) {
      if (refs != 0 || executor != which || generation != gen) {
        return;
      }
      executor = null;
    }
    which.shutdownNow();
  }

  /** Runs {@code task} every {@code periodMillis}; null if no reference is held. */
  public static ScheduledFuture<?> every(long periodMillis, Runnable task) {
    synchronized (LOCK) {
      if (executor == null) {
        return null;
      }
      return executor.scheduleWithFixedDelay(guard(task), periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }
  }

  /** Runs {@code task} once after {@code delayMillis}; null if no reference is held. */
  public static ScheduledFuture<?> once(long delayMillis, Runnable task) {
    synchronized (LOCK) {
      if (executor == null) {
        return null;
      }
      return executor.schedule(guard(task), Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
    }
  }

  private static Runnable guard(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (Throwable e) {
        org.slf4j.LoggerFactory.getLogger(SharedScheduler.class).warn("Timer task failed", e);
      }
    };
  }
}
