package dev.hybridrelay.socket.internal;

import dev.hybridrelay.core.RelayCloseStatus;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.socket.ForwardOutcome;
import dev.hybridrelay.socket.ForwardedConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splices one TCP socket and one relay connection: one thread per direction, one bounded buffer per
 * direction, as azbridge's stream pump.
 *
 * <ul>
 *   <li>TCP end of stream → {@link RelayConnection#shutdownOutput()} (Close 1000 "Shutdown");
 *       relay end of stream → {@link Socket#shutdownOutput()} (FIN). The other direction keeps
 *       flowing until its own end.
 *   <li>Any failure — TCP reset, relay abort, a read of a non-clean relay close, a timeout — aborts
 *       both sides: the relay connection with {@link RelayConnection#abort()}, the socket with
 *       {@code SO_LINGER 0} and close, so the TCP peer sees a reset, never a clean end.
 *   <li>When both directions ended cleanly, both are closed cleanly.
 * </ul>
 */
public final class ForwardPump implements ForwardedConnection {
  private static final Logger log = LoggerFactory.getLogger(ForwardPump.class);

  private final String id;
  private final String hybridConnection;
  private final String portName;
  private final Socket socket;
  private final RelayConnection relay;
  private final int bufferSize;
  private final long idleTimeoutNanos;
  private final long writeTimeoutNanos;
  private final ForwardTracker tracker;

  private final AtomicLong toRelay = new AtomicLong();
  private final AtomicLong fromRelay = new AtomicLong();
  private final Instant openedAt = Instant.now();
  private final long openedNanos = System.nanoTime();
  private volatile long closedNanos;
  private volatile long lastActivityNanos = openedNanos;
  private volatile long upWriteSince;
  private volatile long downWriteSince;
  private final AtomicBoolean aborted = new AtomicBoolean();
  private final AtomicInteger directionsLeft = new AtomicInteger(2);
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile ForwardOutcome outcome;
  private volatile Throwable failure;

  ForwardPump(String id, String hybridConnection, String portName, Socket socket, RelayConnection relay,
      ForwardTracker tracker) {
    this.id = id;
    this.hybridConnection = hybridConnection;
    this.portName = portName;
    this.socket = socket;
    this.relay = relay;
    this.tracker = tracker;
    this.bufferSize = tracker.options().bufferSize();
    this.idleTimeoutNanos = tracker.options().idleTimeout().toNanos();
    this.writeTimeoutNanos = tracker.options().writeTimeout().toNanos();
  }

  /**
   * Starts pumping: the relay-to-TCP direction on a new daemon thread, the TCP-to-relay direction on
   * the calling thread, which returns when that direction ended.
   */
  public void runOnCurrentThread() {
    Thread down = ForwardThreads.newThread(id + "-down", this::pumpFromRelay);
    down.start();
    pumpToRelay();
  }

  /** Starts both directions on new daemon threads and returns. */
  public void start() {
    ForwardThreads.newThread(id + "-down", this::pumpFromRelay).start();
    ForwardThreads.newThread(id + "-up", this::pumpToRelay).start();
  }

  private void pumpToRelay() {
    pump(true);
  }

  private void pumpFromRelay() {
    pump(false);
  }

  /**
   * One direction until its end of stream: {@code up} is TCP → relay, otherwise relay → TCP. A read
   * failure is blamed on the source side, a write or shutdown failure on the destination side.
   */
  private void pump(boolean up) {
    ForwardOutcome sourceFailed = up ? ForwardOutcome.TCP_RESET : ForwardOutcome.RELAY_ABORTED;
    ForwardOutcome destinationFailed = up ? ForwardOutcome.RELAY_ABORTED : ForwardOutcome.TCP_RESET;
    try {
      byte[] buf = new byte[bufferSize];
      InputStream in;
      OutputStream out;
      try {
        in = up ? socket.getInputStream() : relay.getInputStream();
      } catch (IOException e) {
        abort(sourceFailed, e);
        return;
      }
      try {
        out = up ? relay.getOutputStream() : socket.getOutputStream();
      } catch (IOException e) {
        abort(destinationFailed, e);
        return;
      }
      while (true) {
        int n;
        try {
          n = in.read(buf);
        } catch (IOException e) {
          abort(sourceFailed, e);
          return;
        }
        if (n < 0) {
          break;
        }
        if (n == 0) {
          continue;
        }
        writeStarted(up, System.nanoTime() | 1L);
        try {
          out.write(buf, 0, n);
          if (up) {
            out.flush(); // the relay stream sends what it holds as one message
          }
        } catch (IOException e) {
          abort(destinationFailed, e);
          return;
        } finally {
          writeStarted(up, 0);
        }
        if (up) {
          toRelay.addAndGet(n);
          tracker.addToRelay(n);
        } else {
          fromRelay.addAndGet(n);
          tracker.addFromRelay(n);
        }
        lastActivityNanos = System.nanoTime();
      }
      if (!up) {
        Optional<RelayCloseStatus> status = relay.closeStatus();
        if (status.isPresent() && !status.get().clean()) {
          abort(ForwardOutcome.RELAY_ABORTED, new IOException("the relay connection ended with "
              + status.get().code() + " " + status.get().reason()));
          return;
        }
      }
      try {
        if (up) {
          relay.shutdownOutput();
        } else {
          socket.shutdownOutput();
        }
      } catch (IOException e) {
        abort(destinationFailed, e);
      }
    } catch (RuntimeException | Error e) {
      abort(ForwardOutcome.RELAY_ABORTED, e);
      throw e;
    } finally {
      directionDone();
    }
  }

  /** Marks when a blocking write began in a direction (0: none), for the write-timeout watchdog. */
  private void writeStarted(boolean up, long nanos) {
    if (up) {
      upWriteSince = nanos;
    } else {
      downWriteSince = nanos;
    }
  }

  private void directionDone() {
    if (directionsLeft.decrementAndGet() != 0) {
      return;
    }
    if (aborted.compareAndSet(false, true)) {
      outcome = ForwardOutcome.CLOSED;
      try {
        relay.close();
      } catch (IOException | RuntimeException e) {
        log.debug("{}: closing the relay connection failed: {}", id, e.toString());
      }
      try {
        socket.close();
      } catch (IOException e) {
        log.debug("{}: closing the socket failed: {}", id, e.toString());
      }
    }
    closedNanos = System.nanoTime();
    try {
      tracker.ended(this);
    } finally {
      done.countDown();
    }
  }

  /** Aborts both sides; the first reason wins. Safe from any thread. */
  public void abort(ForwardOutcome reason, Throwable cause) {
    if (!aborted.compareAndSet(false, true)) {
      return;
    }
    outcome = reason;
    failure = cause;
    log.debug("{}: aborting ({}): {}", id, reason, cause == null ? "" : cause.toString());
    try {
      relay.abort();
    } catch (RuntimeException e) {
      log.debug("{}: relay abort failed: {}", id, e.toString());
    }
    resetSocket(socket);
  }

  /** Closes a socket so that the peer sees a reset (SO_LINGER 0), not a clean end. */
  public static void resetSocket(Socket socket) {
    try {
      if (!socket.isClosed()) {
        socket.setSoLinger(true, 0);
      }
    } catch (IOException ignored) {
      // closed concurrently
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing more to do
    }
  }

  /** Called by the watchdog. */
  void checkTimeouts(long now) {
    if (writeTimeoutNanos > 0) {
      long up = upWriteSince;
      long down = downWriteSince;
      if ((up != 0 && now - up > writeTimeoutNanos) || (down != 0 && now - down > writeTimeoutNanos)) {
        abort(ForwardOutcome.WRITE_TIMEOUT, new IOException("a write blocked for more than "
            + Duration.ofNanos(writeTimeoutNanos).toMillis() + " ms"));
        return;
      }
    }
    if (idleTimeoutNanos > 0 && now - lastActivityNanos > idleTimeoutNanos) {
      abort(ForwardOutcome.IDLE_TIMEOUT, new IOException("no data in either direction for "
          + Duration.ofNanos(idleTimeoutNanos).toMillis() + " ms"));
    }
  }

  /** Waits for both directions to end. */
  public boolean await(Duration timeout) throws InterruptedException {
    return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  public boolean isDone() {
    return done.getCount() == 0;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String hybridConnection() {
    return hybridConnection;
  }

  @Override
  public String portName() {
    return portName;
  }

  @Override
  public InetSocketAddress tcpPeer() {
    return (InetSocketAddress) socket.getRemoteSocketAddress();
  }

  @Override
  public String trackingId() {
    return relay.trackingId();
  }

  @Override
  public long bytesToRelay() {
    return toRelay.get();
  }

  @Override
  public long bytesFromRelay() {
    return fromRelay.get();
  }

  @Override
  public Instant openedAt() {
    return openedAt;
  }

  @Override
  public Duration duration() {
    long end = closedNanos;
    return Duration.ofNanos((end == 0 ? System.nanoTime() : end) - openedNanos);
  }

  @Override
  public Optional<ForwardOutcome> outcome() {
    return closedNanos != 0 ? Optional.ofNullable(outcome) : Optional.empty();
  }

  @Override
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  @Override
  public String toString() {
    return id + " " + ForwardLog.peer(tcpPeer()) + " hc '" + hybridConnection + "' port '" + portName + "'";
  }
}
