package dev.hybridrelay.core.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Buffers of one capacity, reused across connections; thread-safe. Sizes from {@code min} to the
 * capacity come from the pool, others are allocated plainly. At most {@link #MAX_IDLE} idle buffers
 * are kept; beyond that, released buffers are left to the garbage collector. A buffer must be
 * released by its one owner, once, after its last use.
 *
 * <p>Idle memory is handed back: once a pool has seen no acquire or release for
 * {@link #IDLE_TRIM_MILLIS}, a task on the shared timer ({@link SharedScheduler}) drops all its idle
 * buffers, so a process that moved a burst of traffic and went quiet does not keep up to 4 MiB per
 * pool (the heap and direct memory go back at the next collection). The check is armed by a release
 * into the pool; without a timer reference (no listener or connection open) nothing is scheduled and
 * the idle buffers stay until the next release arms it.
 */
final class BufferPool {
  /** Idle buffers kept at most per pool. */
  static final int MAX_IDLE = 64;
  /** A pool unused for this long drops its idle buffers. */
  static final long IDLE_TRIM_MILLIS = 10_000;

  /**
   * Outgoing masked frames ({@link FrameMasking}): direct, so the socket writes from them without
   * the JDK's copy of a heap buffer into a temporary direct one, and not zeroed on allocation.
   * {@link RelayWebSocket} releases a frame once the socket took all of it, or when it drops it.
   * Frames of at most 1,000 bytes stay on the heap, where Java-WebSocket's trace logging expects an
   * array. Capacity: a 64 KiB payload plus the longest masked header.
   */
  static final BufferPool FRAMES = new BufferPool(1001, 64 * 1024 + 14, true);

  /**
   * Received payloads of 1 KiB to 64 KiB ({@link RelayDraft}): heap buffers that {@link ConnectionImpl}
   * queues until they are read. Released by whoever takes the last byte: the connection's input
   * stream, or the forwarder's pump once TCP took it ({@link ConnectionImpl#recycle}). A new array per
   * frame cost the JVM's zeroing (5.7 % of the listener I/O thread's samples in the in-process bulk
   * benchmark) and garbage at the transfer rate.
   */
  static final BufferPool PAYLOADS = new BufferPool(1024, 64 * 1024, false);

  private final int min;
  private final int capacity;
  private final boolean direct;
  // A bounded stack under this pool's monitor: no node per release (a ConcurrentLinkedQueue
  // allocated one per released buffer, the largest garbage left on the steady-state data path).
  private final ByteBuffer[] idle = new ByteBuffer[MAX_IDLE];
  private int idleCount; // guarded by this
  private final LongSupplier nanoClock;
  private final long trimAfterNanos;
  private final AtomicBoolean trimArmed = new AtomicBoolean();
  private volatile long lastUse;

  private BufferPool(int min, int capacity, boolean direct) {
    this(min, capacity, direct, System::nanoTime, IDLE_TRIM_MILLIS);
  }

  /** For tests: a clock seam ({@code nanoClock}, as {@link System#nanoTime}) and the idle period. */
  BufferPool(int min, int capacity, boolean direct, LongSupplier nanoClock, long trimAfterMillis) {
    this.min = min;
    this.capacity = capacity;
    this.direct = direct;
    this.nanoClock = nanoClock;
    this.trimAfterNanos = TimeUnit.MILLISECONDS.toNanos(trimAfterMillis);
    this.lastUse = nanoClock.getAsLong();
  }

  /** True if a buffer of {@code size} bytes comes from the pool. */
  boolean fits(int size) {
    return size >= min && size <= capacity;
  }

  /** A buffer with position 0 and limit {@code size}; pooled if {@link #fits}, else a plain one. */
  ByteBuffer acquire(int size) {
    if (!fits(size)) {
      return direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
    }
    ByteBuffer b = null;
    synchronized (this) {
      if (idleCount > 0) {
        b = idle[--idleCount];
        idle[idleCount] = null;
      }
    }
    if (b != null) {
      lastUse = nanoClock.getAsLong();
    } else {
      b = direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }
    b.clear().limit(size);
    return b;
  }

  /** Gives back a buffer nobody uses any more; buffers not of this pool's kind are ignored. */
  void release(ByteBuffer b) {
    if (b != null && b.isDirect() == direct && !b.isReadOnly() && b.capacity() == capacity
        && (direct || b.arrayOffset() == 0)) {
      synchronized (this) {
        if (idleCount >= MAX_IDLE) {
          return;
        }
        idle[idleCount++] = b;
      }
      lastUse = nanoClock.getAsLong();
      if (trimArmed.compareAndSet(false, true)) {
        scheduleTrim(trimAfterNanos);
      }
    }
  }

  /** Idle buffers held now. */
  synchronized int idleCount() {
    return idleCount;
  }

  /**
   * Drops the idle buffers if the pool was not used for the idle period; returns the nanoseconds
   * until the next check is due, or -1 if the pool holds nothing idle any more.
   */
  long trim() {
    long quiet = nanoClock.getAsLong() - lastUse;
    if (quiet < trimAfterNanos) {
      return idleCount() == 0 ? -1 : trimAfterNanos - quiet;
    }
    synchronized (this) {
      java.util.Arrays.fill(idle, 0, idleCount, null);
      idleCount = 0;
    }
    return -1;
  }

  private void scheduleTrim(long delayNanos) {
    ScheduledFuture<?> f = SharedScheduler.once(
        Math.max(1, TimeUnit.NANOSECONDS.toMillis(delayNanos)), this::trimTick);
    if (f == null) {
      trimArmed.set(false);
    }
  }

  private void trimTick() {
    long next = trim();
    if (next >= 0) {
      scheduleTrim(next);
      return;
    }
    trimArmed.set(false);
    // a release between trim() and here saw the check armed and did not schedule one
    if (idleCount() > 0 && trimArmed.compareAndSet(false, true)) {
      scheduleTrim(trimAfterNanos);
    }
  }
}
