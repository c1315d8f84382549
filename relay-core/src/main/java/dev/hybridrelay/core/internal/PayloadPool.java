package dev.hybridrelay.core.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Heap buffers for received message payloads, reused across connections.
 *
 * <p>{@link RelayDraft} copies each received frame into a payload buffer that {@link ConnectionImpl}
 * queues until the application reads it. A new array per frame costs the JVM's zeroing (5.7 % of the
 * listener I/O thread's samples in the in-process bulk benchmark) and makes garbage at the transfer
 * rate. Payloads of {@value #MIN} bytes up to {@value #CAPACITY} bytes come from here instead; a
 * buffer comes back when its last byte was read ({@link ConnectionImpl} reads, or the forwarder's pump
 * wrote it to TCP). A buffer is given back only by the one owner that took it out of the connection's
 * queue, so it is never in use twice. At most {@value #MAX_POOLED} idle buffers are kept. Thread-safe.
 */
final class PayloadPool {
  static final int CAPACITY = 64 * 1024;
  static final int MIN = 1024;
  static final int MAX_POOLED = 64;

  private static final ConcurrentLinkedQueue<ByteBuffer> IDLE = new ConcurrentLinkedQueue<>();
  private static final AtomicInteger IDLE_COUNT = new AtomicInteger();

  private PayloadPool() {}

  /** A heap buffer with position 0 and limit {@code length}. */
  static ByteBuffer acquire(int length) {
    if (length < MIN || length > CAPACITY) {
      return ByteBuffer.allocate(length);
    }
    ByteBuffer b = IDLE.poll();
    if (b != null) {
      IDLE_COUNT.decrementAndGet();
    } else {
      b = ByteBuffer.allocate(CAPACITY);
    }
    b.clear().limit(length);
    return b;
  }

  /** Gives back a buffer nobody uses any more; buffers of other sizes are left to the GC. */
  static void release(ByteBuffer b) {
    if (b != null && !b.isDirect() && !b.isReadOnly() && b.capacity() == CAPACITY && b.arrayOffset() == 0
        && IDLE_COUNT.get() < MAX_POOLED) {
      IDLE_COUNT.incrementAndGet();
      IDLE.offer(b);
    }
  }
}
