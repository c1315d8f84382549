package dev.hybridrelay.benchmarks.pump;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.locks.LockSupport;

/**
 * Single-producer single-consumer ring buffer. Positions are monotonically increasing
 * {@code long}s published through {@code volatile} fields; a blocked side parks and the other side
 * unparks it after publishing. Nothing is allocated after construction (no lock nodes, no condition
 * nodes), which is what makes the steady state 0 B/op.
 */
public final class SpscBytePipe implements BytePipe {
  private final byte[] ring;
  private final int mask;
  private volatile long writePos;
  private volatile long readPos;
  private volatile boolean closed;
  private volatile Thread waitingReader;
  private volatile Thread waitingWriter;

  /** @param capacity power of two */
  public SpscBytePipe(int capacity) {
    if (Integer.bitCount(capacity) != 1) {
      throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
    }
    ring = new byte[capacity];
    mask = capacity - 1;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      long w = writePos;
      int free = ring.length - (int) (w - readPos);
      if (free == 0) {
        waitingWriter = Thread.currentThread();
        if (ring.length - (int) (w - readPos) == 0 && !closed) {
          LockSupport.park(this);
        }
        waitingWriter = null;
        if (Thread.interrupted()) {
          throw new InterruptedIOException();
        }
        continue;
      }
      int n = Math.min(len, free);
      int idx = (int) (w & mask);
      int first = Math.min(n, ring.length - idx);
      System.arraycopy(b, off, ring, idx, first);
      if (n > first) {
        System.arraycopy(b, off + first, ring, 0, n - first);
      }
      writePos = w + n;
      off += n;
      len -= n;
      Thread r = waitingReader;
      if (r != null) {
        LockSupport.unpark(r);
      }
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    while (true) {
      long r = readPos;
      int avail = (int) (writePos - r);
      if (avail == 0) {
        if (closed && writePos == r) {
          return -1;
        }
        waitingReader = Thread.currentThread();
        if (writePos == r && !closed) {
          LockSupport.park(this);
        }
        waitingReader = null;
        if (Thread.interrupted()) {
          throw new InterruptedIOException();
        }
        continue;
      }
      int n = Math.min(len, avail);
      int idx = (int) (r & mask);
      int first = Math.min(n, ring.length - idx);
      System.arraycopy(ring, idx, b, off, first);
      if (n > first) {
        System.arraycopy(ring, 0, b, off + first, n - first);
      }
      readPos = r + n;
      Thread w = waitingWriter;
      if (w != null) {
        LockSupport.unpark(w);
      }
      return n;
    }
  }

  @Override
  public void close() {
    closed = true;
    Thread r = waitingReader;
    if (r != null) {
      LockSupport.unpark(r);
    }
  }
}
