package dev.hybridrelay.socket.internal;

import dev.hybridrelay.core.RelayConnection;
import java.io.IOException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes relay close handshakes off the caller's thread, so that {@code Socket.close()} returns at
 * once as it does for TCP. The threads ({@code hybridrelay-socket-close-N}) are not daemons: like a
 * kernel finishing a TCP close after the process let go, a JVM whose main thread ends still sends the
 * Close frames (bounded by the relay connection's close deadline, 5 s). Idle threads end after 1 s, so they delay JVM exit by at most that.
 * The pool is unbounded on purpose: a queued close would leave readers on other threads blocked.
 */
final class RelaySocketCloser {
  private static final Logger LOG = LoggerFactory.getLogger("dev.hybridrelay.socket.RelaySocket");
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final ThreadPoolExecutor POOL = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 1, TimeUnit.SECONDS,
      new SynchronousQueue<>(), r -> new Thread(r, "hybridrelay-socket-close-" + IDS.incrementAndGet()));

  private RelaySocketCloser() {}

  static void close(RelayConnection c) {
    POOL.execute(() -> {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        LOG.debug("Close of connection {} failed: {}", c.trackingId(), e.toString());
      }
    });
  }
}
