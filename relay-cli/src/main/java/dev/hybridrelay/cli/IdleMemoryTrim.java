package dev.hybridrelay.cli;

import dev.hybridrelay.forward.ForwardStats;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives memory back after a burst of traffic: once the forwarders have moved data and then stayed
 * quiet for a whole interval, one full garbage collection runs.
 *
 * <p>Why: the pools drop their idle buffers after 10 s, but a direct buffer's native memory is only
 * freed when a collection finds the buffer unreachable, and the serial collector only shrinks the
 * heap at a full collection. A forwarder that has just carried a bulk transfer and then idles for
 * hours would otherwise keep its peak footprint. The collection runs at most once per quiet period
 * (traffic must be seen again before the next one), on the trim thread, and is skipped while data
 * flows, so it never pauses a transfer. The start-up counts as traffic, so a freshly started
 * forwarder also collects once after its first quiet interval. {@code --idle-trim=0} turns it off.
 *
 * <p>Thread: one daemon thread named {@code hybridrelay-idle-trim}.
 */
final class IdleMemoryTrim implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(IdleMemoryTrim.class);

  private final LongSupplier activity;
  private final Runnable collect;
  private long lastActivity = -1;
  private boolean dirty = true; // start-up garbage counts as traffic
  private int collections;

  IdleMemoryTrim(LongSupplier activity, Runnable collect) {
    this.activity = activity;
    this.collect = collect;
  }

  /** An activity measure over forwarders: every byte and every connection moves it. */
  static LongSupplier activityOf(List<Supplier<ForwardStats>> forwarders) {
    return () -> {
      long sum = 0;
      for (Supplier<ForwardStats> f : forwarders) {
        ForwardStats s = f.get();
        sum += s.bytesToRelay() + s.bytesFromRelay() + s.totalConnections()
            + s.refusedConnections() + s.failedConnections();
      }
      return sum;
    };
  }

  /**
   * One check; called once per interval. Collects when there was activity before the previous
   * check and none since. Returns whether it collected.
   */
  boolean check() {
    long now = activity.getAsLong();
    boolean quiet = now == lastActivity;
    if (!quiet && lastActivity >= 0) {
      dirty = true;
    }
    lastActivity = now;
    if (quiet && dirty) {
      dirty = false;
      collections++;
      long t0 = System.nanoTime();
      collect.run();
      log.debug("idle for an interval after traffic: collected in {} ms",
          (System.nanoTime() - t0) / 1_000_000);
      return true;
    }
    return false;
  }

  int collections() {
    return collections;
  }

  private ScheduledExecutorService timer;

  /** Starts checking every {@code intervalSeconds} on a daemon thread. */
  IdleMemoryTrim start(long intervalSeconds) {
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hybridrelay-idle-trim");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(() -> {
      try {
        check();
      } catch (RuntimeException e) {
        log.debug("idle trim check failed", e);
      }
    }, intervalSeconds, intervalSeconds, TimeUnit.SECONDS);
    return this;
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
