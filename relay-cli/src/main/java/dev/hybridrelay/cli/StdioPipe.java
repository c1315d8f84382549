package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Pipes one relay connection to standard output and standard input to it, with half-close in
 * both directions: the end of standard input shuts down the connection's output (Close 1000
 * "Shutdown"), and the peer's clean end is the end of what goes to standard output.
 *
 * <p>The session is over when both directions have ended, or when the peer has ended its side and
 * the connection is then closed (the peer closed fully rather than half). The calling thread reads
 * the connection; a daemon thread {@code hybridrelay-stdin-pump} writes to it.
 */
final class StdioPipe {
  private StdioPipe() {}

  /** How a session ended. */
  enum Outcome {
    /** The peer ended its side cleanly (Close 1000); everything it sent was written out. */
    PEER_CLOSED,
    /** The connection failed, or the peer or the relay aborted it. */
    FAILED,
    /** Standard output could not be written. */
    STDOUT_FAILED,
    /** Stopped from outside (the process is shutting down). */
    STOPPED
  }

  /** The outcome and byte counts of a session; {@code problem} is a one-line description or null. */
  record Result(Outcome outcome, long received, long sent, String problem) {}

  /**
   * Runs the session on the calling thread.
   *
   * @param stopping whether the process is shutting down (a failure then counts as {@link Outcome#STOPPED})
   * @param onPeerEnd called with the byte count when the peer has ended its side, before our side ends
   */
  static Result run(RelayConnection conn, StdinSource stdin, OutputStream stdout, BooleanSupplier stopping,
      LongConsumer onPeerEnd) {
    AtomicBoolean done = new AtomicBoolean();
    AtomicLong sent = new AtomicLong();
    CountDownLatch writerFinished = new CountDownLatch(1);
    Thread writer = new Thread(() -> {
      try {
        OutputStream out = conn.getOutputStream();
        while (!done.get()) {
          byte[] chunk = stdin.take(200);
          if (chunk == null) {
            continue;
          }
          if (chunk == StdinSource.END) {
            conn.shutdownOutput();
            return;
          }
          if (done.get()) {
            stdin.giveBack(chunk);
            return;
          }
          try {
            out.write(chunk);
          } catch (IOException e) {
            stdin.giveBack(chunk);
            return;
          }
          sent.addAndGet(chunk.length);
        }
      } catch (IOException e) {
        // the connection is closed or failed; the reading side reports it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        writerFinished.countDown();
      }
    }, "hybridrelay-stdin-pump");
    writer.setDaemon(true);
    writer.start();

    long received = 0;
    byte[] buf = new byte[64 * 1024];
    try {
      InputStream in = conn.getInputStream();
      for (int n; (n = in.read(buf)) >= 0; ) {
        try {
          stdout.write(buf, 0, n);
          stdout.flush();
        } catch (IOException e) {
          done.set(true);
          conn.abort();
          join(writer);
          return new Result(Outcome.STDOUT_FAILED, received, sent.get(),
              "cannot write standard output: " + e.getMessage());
        }
        received += n;
      }
    } catch (IOException e) {
      done.set(true);
      boolean stop = stopping.getAsBoolean();
      if (!stop) {
        conn.abort();
      }
      join(writer);
      return new Result(stop ? Outcome.STOPPED : Outcome.FAILED, received, sent.get(),
          stop ? null : "connection lost: " + e.getMessage());
    }
    onPeerEnd.accept(received);
    // The peer ended its side cleanly; go on sending until our input ends or the connection closes.
    try {
      while (!writerFinished.await(200, TimeUnit.MILLISECONDS)) {
        if (conn.isClosed()) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    done.set(true);
    try {
      conn.close();
    } catch (IOException ignored) {
      // the peer has already ended cleanly; nothing of ours is lost that close could save
    }
    join(writer);
    IOException inputError = stdin.error();
    return new Result(Outcome.PEER_CLOSED, received, sent.get(),
        inputError == null ? null : "cannot read standard input: " + inputError.getMessage());
  }

  private static void join(Thread t) {
    try {
      t.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
