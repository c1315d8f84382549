package dev.hybridrelay.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Standard input read ahead by one daemon thread ({@code hybridrelay-stdin}) into a few chunks, so
 * that the relay connections of {@code connect} and {@code listen} can take it without blocking on
 * the input themselves: a session that ends stops taking, and a chunk it could not send is given
 * back for the next session. At most {@value #CHUNKS} chunks of {@value #CHUNK_SIZE} bytes are held.
 */
final class StdinSource {
  static final int CHUNK_SIZE = 64 * 1024;
  static final int CHUNKS = 4;
  /** Returned by {@link #take} at the end of the input (and on every call after it). */
  static final byte[] END = new byte[0];

  private final InputStream in;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
  private boolean ended;
  private IOException error;
  private Thread reader;

  StdinSource(InputStream in) {
    this.in = in;
  }

  /** Starts the reading thread once. */
  void start() {
    lock.lock();
    try {
      if (reader != null) {
        return;
      }
      reader = new Thread(this::readLoop, "hybridrelay-stdin");
      reader.setDaemon(true);
      reader.start();
    } finally {
      lock.unlock();
    }
  }

  private void readLoop() {
    byte[] buf = new byte[CHUNK_SIZE];
    while (true) {
      int n;
      try {
        n = in.read(buf);
      } catch (IOException e) {
        finish(e);
        return;
      }
      if (n < 0) {
        finish(null);
        return;
      }
      if (n == 0) {
        continue;
      }
      byte[] chunk = Arrays.copyOf(buf, n);
      lock.lock();
      try {
        while (chunks.size() >= CHUNKS) {
          changed.awaitUninterruptibly();
        }
        chunks.addLast(chunk);
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  private void finish(IOException e) {
    lock.lock();
    try {
      ended = true;
      error = e;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits at most {@code timeoutMillis} for the next chunk.
   *
   * @return the chunk (the caller's to send, or to {@link #giveBack}), {@link #END} once the input
   *     ended and every chunk was taken, or {@code null} if nothing arrived in time
   */
  byte[] take(long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    lock.lock();
    try {
      while (chunks.isEmpty() && !ended) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        changed.awaitNanos(left);
      }
      byte[] c = chunks.pollFirst();
      if (c == null) {
        return END;
      }
      changed.signalAll();
      return c;
    } finally {
      lock.unlock();
    }
  }

  /** Puts back a chunk that {@link #take} returned and that could not be sent, for the next taker. */
  void giveBack(byte[] chunk) {
    if (chunk == null || chunk == END) {
      return;
    }
    lock.lock();
    try {
      chunks.addFirst(chunk);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The error that ended the input, if reading it failed (the input then counts as ended). */
  IOException error() {
    lock.lock();
    try {
      return error;
    } finally {
      lock.unlock();
    }
  }
}
