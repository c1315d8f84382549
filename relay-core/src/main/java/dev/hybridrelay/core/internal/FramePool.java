package dev.hybridrelay.core.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers for encoded outgoing frames, reused across connections.
 *
 * <p>A frame encoded into a heap array is zeroed by the JVM when allocated and copied once more by the
 * JDK into a temporary direct buffer when written to a socket; a frame encoded into one of these
 * buffers is masked straight into memory the socket writes from. {@link RelayWebSocket} gives a buffer
 * back once the socket has taken all of it (or the connection dropped it). Only frames larger than
 * {@link #MIN_FRAME} bytes use the pool (smaller ones stay on the heap, where Java-WebSocket's trace
 * logging expects an array), and at most {@link #MAX_POOLED} idle buffers ({@value #MAX_POOLED} ×
 * {@value #CAPACITY} bytes) are kept; beyond that, released buffers are left to the garbage
 * collector. Thread-safe.
 */
final class FramePool {
  /** Capacity of a pooled buffer: a 64 KiB payload plus the longest masked header. */
  static final int CAPACITY = 64 * 1024 + 14;
  /** Frames up to this size are encoded on the heap. */
  static final int MIN_FRAME = 1000;
  /** Idle buffers kept at most. */
  static final int MAX_POOLED = 64;

  private static final ConcurrentLinkedQueue<ByteBuffer> IDLE = new ConcurrentLinkedQueue<>();
  private static final AtomicInteger IDLE_COUNT = new AtomicInteger();

  private FramePool() {}

  /** True if a frame of {@code size} bytes is encoded into a pooled buffer. */
  static boolean fits(int size) {
    return size > MIN_FRAME && size <= CAPACITY;
  }

  /** A buffer with position 0 and limit {@code size} ({@link #fits} must hold). */
  static ByteBuffer acquire(int size) {
    ByteBuffer b = IDLE.poll();
    if (b != null) {
      IDLE_COUNT.decrementAndGet();
    } else {
      b = ByteBuffer.allocateDirect(CAPACITY);
    }
    b.clear().limit(size);
    return b;
  }

  /** Gives back {@code b} if it came from the pool; other buffers are ignored. */
  static void release(ByteBuffer b) {
    if (b.isDirect() && b.capacity() == CAPACITY && IDLE_COUNT.get() < MAX_POOLED) {
      IDLE_COUNT.incrementAndGet();
      IDLE.offer(b);
    }
  }
}
