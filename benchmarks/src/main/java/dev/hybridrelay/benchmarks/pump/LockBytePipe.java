package dev.hybridrelay.benchmarks.pump;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The textbook bounded pipe: a ring buffer guarded by a {@link ReentrantLock} with "not empty" and
 * "not full" {@link Condition}s. On Java 17 every {@code Condition.await()} allocates a wait node,
 * so a pipe that blocks often allocates in steady state.
 */
public final class LockBytePipe implements BytePipe {
  private final byte[] ring;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final Condition notFull = lock.newCondition();
  private int head;
  private int count;
  private boolean closed;

  public LockBytePipe(int capacity) {
    ring = new byte[capacity];
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    lock.lock();
    try {
      while (len > 0) {
        while (count == ring.length) {
          try {
            notFull.await();
          } catch (InterruptedException e) {
            throw new InterruptedIOException();
          }
        }
        int tail = (head + count) % ring.length;
        int n = Math.min(len, Math.min(ring.length - count, ring.length - tail));
        System.arraycopy(b, off, ring, tail, n);
        count += n;
        off += n;
        len -= n;
        notEmpty.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    lock.lock();
    try {
      while (count == 0) {
        if (closed) {
          return -1;
        }
        try {
          notEmpty.await();
        } catch (InterruptedException e) {
          throw new InterruptedIOException();
        }
      }
      int n = Math.min(len, Math.min(count, ring.length - head));
      System.arraycopy(ring, head, b, off, n);
      head = (head + n) % ring.length;
      count -= n;
      notFull.signal();
      return n;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
