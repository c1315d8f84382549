package dev.hybridrelay.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread ({@code hybridrelay-io-N}, daemon) that serves the non-blocking sockets of many
 * connections: the client WebSockets of listeners and senders and the TCP ends of the forwarders.
 *
 * <p>Loops are shared: {@link #acquire()} hands out one of {@link #LOOPS} loops round-robin and counts
 * the reference; {@link #release()} gives it back. A loop whose count stayed at zero for {@link
 * #LINGER_MILLIS} ends its thread, so an idle process holds no I/O thread; the next {@code acquire()}
 * starts a new one. The cost of a connection is therefore one selection key and its buffers, never a
 * thread.
 *
 * <p>Everything registered here runs its {@link Handler#ready} and its {@link #execute tasks} on the
 * loop thread; they must not block. A handler that throws is logged and its key cancelled; the loop
 * keeps serving the other connections.
 */
public final class IoLoop {
  private static final Logger log = LoggerFactory.getLogger(IoLoop.class);

  /** Number of loops: one per processor, at least 1, at most 4. */
  public static final int LOOPS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
  /** How long a loop without references keeps its thread. */
  static final long LINGER_MILLIS = 1_000;
  /** Size of each loop's shared read buffer. */
  static final int READ_BUFFER = 64 * 1024;

  private static final Object GROUP_LOCK = new Object();
  private static final IoLoop[] loops = new IoLoop[LOOPS];
  private static int next;

  /** Receives readiness on the loop thread. */
  public interface Handler {
    /** {@code key} is ready for {@code readyOps}. Must not block. */
    void ready(SelectionKey key, int readyOps);

    /**
     * The loop failed and ends while {@code key} is still registered (it ends normally only when
     * nothing is registered). By default the channel is closed; runs on the dying loop thread.
     */
    default void loopClosed(SelectionKey key) {
      try {
        key.channel().close();
      } catch (IOException ignored) {
        // nothing more to do
      }
    }
  }

  private final Selector selector;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER);
  private ByteBuffer plainBuffer; // loop thread only, made on first TLS read
  private final java.util.function.Consumer<SelectionKey> dispatcher = this::dispatch;
  private volatile Thread thread;
  private int refs; // guarded by GROUP_LOCK
  private long zeroSinceNanos; // guarded by GROUP_LOCK
  private boolean dead; // guarded by GROUP_LOCK

  private IoLoop(Selector selector) {
    this.selector = selector;
  }

  /** A loop with one more reference; started if needed. Pair with {@link #release()}. */
  public static IoLoop acquire() {
    synchronized (GROUP_LOCK) {
      int i = next;
      next = (next + 1) % LOOPS;
      IoLoop loop = loops[i];
      if (loop == null || loop.dead) {
        try {
          loop = new IoLoop(Selector.open());
        } catch (IOException e) {
          throw new UncheckedIOException("Cannot open a selector", e);
        }
        loops[i] = loop;
        loop.thread = Threads.start("io-" + Threads.nextId(), loop::run);
      }
      loop.refs++;
      return loop;
    }
  }

  /** Gives back a reference taken by {@link #acquire()}. */
  public void release() {
    synchronized (GROUP_LOCK) {
      if (--refs == 0) {
        zeroSinceNanos = System.nanoTime();
        wakeup();
      }
    }
  }

  /** True on this loop's thread. */
  public boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /**
   * Registers a non-blocking channel. May be called from any thread; the interest set takes effect
   * at once (the loop is woken up).
   */
  public SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws ClosedChannelException {
    SelectionKey key = channel.register(selector, ops, handler);
    if (!inLoop()) {
      wakeup();
    }
    return key;
  }

  /** Adds interest in {@code ops}; wakes the loop when called from another thread. */
  public void interestOr(SelectionKey key, int ops) {
    try {
      if ((key.interestOps() & ops) == ops) {
        return;
      }
      key.interestOpsOr(ops);
    } catch (CancelledKeyException e) {
      return;
    }
    if (!inLoop()) {
      wakeup();
    }
  }

  /** Removes interest in {@code ops} (takes effect at the next selection). */
  public void interestAnd(SelectionKey key, int ops) {
    try {
      if ((key.interestOps() & ops) == 0) {
        return;
      }
      key.interestOpsAnd(~ops);
    } catch (CancelledKeyException e) {
      // closed
    }
  }

  /** Runs {@code task} on the loop thread, soon; at once if called on it. */
  public void execute(Runnable task) {
    if (inLoop()) {
      runSafely(task);
      return;
    }
    tasks.add(task);
    wakeup();
  }

  /** Runs {@code task} on the loop thread after the current event (never inline). */
  public void executeLater(Runnable task) {
    tasks.add(task);
    if (!inLoop()) {
      wakeup();
    }
  }

  /** The loop's shared read buffer; only for use on the loop thread, cleared by the caller. */
  public ByteBuffer readBuffer() {
    return readBuffer;
  }

  /**
   * The loop's shared buffer for decrypted bytes (TLS connections), at least {@code atLeast} bytes;
   * only for use on the loop thread, cleared by the caller.
   */
  ByteBuffer plainBuffer(int atLeast) {
    ByteBuffer b = plainBuffer;
    if (b == null || b.capacity() < atLeast) {
      b = ByteBuffer.allocate(Math.max(atLeast, 32 * 1024));
      plainBuffer = b;
    }
    return b;
  }

  private void wakeup() {
    if (wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  private void run() {
    thread = Thread.currentThread();
    try {
      while (true) {
        long timeout = 0;
        synchronized (GROUP_LOCK) {
          if (refs == 0 && tasks.isEmpty()) {
            long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - zeroSinceNanos);
            if (idle >= LINGER_MILLIS) {
              dead = true;
              break;
            }
            timeout = LINGER_MILLIS - idle;
          }
        }
        // The consumer form dispatches each ready key as the selector finds it: no selected-key set,
        // so no set node and no iterator per wake-up (garbage on every round trip otherwise).
        if (tasks.isEmpty()) {
          selector.select(dispatcher, timeout);
        } else {
          selector.selectNow(dispatcher);
        }
        wakeupPending.set(false);
        Runnable task;
        int budget = 1024;
        while (budget-- > 0 && (task = tasks.poll()) != null) {
          runSafely(task);
        }
      }
    } catch (IOException | RuntimeException | Error e) {
      log.error("I/O loop {} failed; its connections are closed", Thread.currentThread().getName(), e);
      synchronized (GROUP_LOCK) {
        dead = true;
      }
    } finally {
      for (SelectionKey key : selector.keys()) {
        Object h = key.attachment();
        if (h instanceof Handler) {
          try {
            ((Handler) h).loopClosed(key);
          } catch (RuntimeException e) {
            log.debug("loopClosed failed", e);
          }
        }
      }
      try {
        selector.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }

  private void dispatch(SelectionKey key) {
    Object h = key.attachment();
    int ops;
    try {
      ops = key.readyOps();
    } catch (CancelledKeyException e) {
      return;
    }
    try {
      ((Handler) h).ready(key, ops);
    } catch (CancelledKeyException e) {
      // closed while handling
    } catch (RuntimeException | Error e) {
      log.error("I/O handler failed; closing its channel", e);
      key.cancel();
      try {
        key.channel().close();
      } catch (IOException ignored) {
        // nothing more to do
      }
    }
  }

  private static void runSafely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("I/O loop task failed", e);
    }
  }
}
