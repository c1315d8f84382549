package dev.hybridrelay.forward.internal;

import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.core.internal.ConnectionImpl;
import dev.hybridrelay.core.internal.IoLoop;
import dev.hybridrelay.forward.ForwardOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splices one stream socket (TCP or Unix domain, a {@link SocketChannel} either way) and one relay
 * connection, as azbridge's stream pump. Every stream forwarder kind shares it; what differs between
 * kinds (how the socket is bound, accepted or connected) is in {@link TcpSockets} and
 * {@link UnixSockets}.
 *
 * <p>When the connection is this library's, the pump has no thread: both directions run on the
 * connection's {@link IoLoop}, with the socket registered on the same loop, so an idle tunnel costs a
 * selection key and no buffer (reads go through the loop's shared buffer and are framed at once). TCP is read
 * only while the relay connection's send queue is within its window, and received messages are taken
 * from the connection only as fast as TCP accepts them, so both directions keep the bounded-memory
 * backpressure of the blocking pump. Otherwise one thread per direction copies through a buffer of
 * {@code bufferSize} bytes.
 *
 * <ul>
 *   <li>TCP end of stream → {@link RelayConnection#shutdownOutput()} (Close 1000 "Shutdown");
 *       relay end of stream → {@link java.net.Socket#shutdownOutput()} (FIN). The other direction keeps
 *       flowing until its own end.
 *   <li>Any failure — TCP reset, relay abort, a read of a non-clean relay close, a timeout — aborts
 *       both sides: the relay connection with {@link RelayConnection#abort()}, the socket with
 *       {@code SO_LINGER 0} and close, so the TCP peer sees a reset, never a clean end (a Unix socket
 *       has no reset: it is closed, and the relay side still sees the abort).
 *   <li>When both directions ended cleanly, both are closed cleanly.
 *   <li>While the pump runs, the socket has {@code SO_LINGER 0} (taken off just before a clean close),
 *       so that if the process dies (kill -9, crash) the kernel resets its TCP connections instead of
 *       ending them cleanly: a peer never takes a cut stream for a complete one.
 * </ul>
 */
public final class ForwardPump extends ForwardedRecord {
  private static final Logger log = LoggerFactory.getLogger(ForwardPump.class);

  private final SocketChannel channel;
  private final RelayConnection relay;
  private final int bufferSize;
  private final long idleTimeoutNanos;
  private final long writeTimeoutNanos;
  private final ForwardTracker tracker;

  private volatile long lastActivityNanos = openedNanos;
  private volatile long upWriteSince;
  private volatile long downWriteSince;
  private final AtomicBoolean aborted = new AtomicBoolean();
  private final AtomicInteger directionsLeft = new AtomicInteger(2);
  private final AtomicBoolean completed = new AtomicBoolean();
  private final CountDownLatch done = new CountDownLatch(1);

  ForwardPump(String id, String hybridConnection, String portName, SocketChannel channel, SocketAddress peer,
      RelayConnection relay, ForwardTracker tracker) {
    super(id, hybridConnection, portName, peer, "");
    this.channel = channel;
    this.relay = relay;
    this.tracker = tracker;
    this.bufferSize = tracker.options().bufferSize();
    this.idleTimeoutNanos = tracker.options().idleTimeout().toNanos();
    this.writeTimeoutNanos = tracker.options().writeTimeout().toNanos();
    setLinger(channel, 0);
  }

  /** Sets SO_LINGER on a TCP socket (a Unix socket has none); -1 turns it off. */
  private static void setLinger(SocketChannel socket, int seconds) {
    try {
      if (socket.isOpen() && socket.supportedOptions().contains(StandardSocketOptions.SO_LINGER)) {
        socket.setOption(StandardSocketOptions.SO_LINGER, seconds);
      }
    } catch (IOException | RuntimeException ignored) {
      // closed concurrently
    }
  }

  /**
   * Starts pumping. When the relay connection is this library's, both directions run on the
   * connection's I/O loop without a thread of their own, and this returns at once. Otherwise the relay-to-TCP direction runs on a new daemon thread and the TCP-to-relay
   * direction on the calling thread, which returns when that direction ended.
   */
  public void runOnCurrentThread() {
    if (startAsync()) {
      return;
    }
    Thread down = ForwardThreads.newThread(id + "-down", this::pumpFromRelay);
    down.start();
    pumpToRelay();
  }

  // ---------------------------------------------------------------- non-blocking pump

  private volatile ConnectionImpl conn;
  private IoLoop loop;
  private volatile SelectionKey key;
  private boolean upDone; // loop thread only
  private boolean downDone; // loop thread only
  private boolean upBlocked; // loop thread only
  private ByteBuffer downPending; // loop thread only

  /** Switches to the non-blocking pump if both ends allow it; false if they do not. */
  private boolean startAsync() {
    SocketChannel ch = channel;
    if (!(relay instanceof ConnectionImpl) || ((ConnectionImpl) relay).ioLoop() == null) {
      return false;
    }
    loop = ((ConnectionImpl) relay).ioLoop();
    conn = (ConnectionImpl) relay;
    if (aborted.get()) {
      complete(); // aborted before it started (the forwarder is closing)
      return true;
    }
    try {
      ch.configureBlocking(false);
      key = loop.register(ch, SelectionKey.OP_READ, this::ready);
    } catch (IOException | RuntimeException e) {
      abort(ForwardOutcome.TCP_RESET, e);
      return true;
    }
    loop.execute(() -> {
      conn.setWriteListener(() -> loop.execute(() -> safely(this::sendRoom)));
      conn.setReadListener(() -> loop.execute(() -> safely(this::pumpDown)));
    });
    return true;
  }

  private void ready(SelectionKey k, int ops) {
    key = k; // the loop may report readiness before register() returned
    safely(() -> {
      if ((ops & SelectionKey.OP_WRITE) != 0) {
        pumpDown();
      }
      if ((ops & SelectionKey.OP_READ) != 0) {
        pumpUp();
      }
    });
  }

  /** Runs a pump step; an unexpected exception (a bug, not a network failure) aborts this connection only. */
  private void safely(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      log.warn("{}: pump failed; aborting the connection", id, e);
      abort(ForwardOutcome.RELAY_ABORTED, e);
    }
  }

  /** TCP to relay, on the loop: read what the socket has and send it, until the send window is full. */
  private void pumpUp() {
    if (upDone || upBlocked || aborted.get()) {
      return;
    }
    ByteBuffer buf = loop.readBuffer();
    for (int i = 0; i < 4; i++) {
      buf.clear();
      if (buf.capacity() > bufferSize) {
        buf.limit(bufferSize);
      }
      int n;
      try {
        n = channel.read(buf);
      } catch (IOException e) {
        abort(ForwardOutcome.TCP_RESET, e);
        return;
      }
      if (n < 0) {
        upDone = true;
        loop.interestAnd(key, SelectionKey.OP_READ);
        try {
          conn.shutdownOutput();
        } catch (IOException e) {
          abort(ForwardOutcome.RELAY_ABORTED, e);
          return;
        }
        directionDone();
        return;
      }
      if (n == 0) {
        return;
      }
      buf.flip();
      boolean room;
      try {
        room = conn.sendNow(buf);
      } catch (IOException e) {
        abort(ForwardOutcome.RELAY_ABORTED, e);
        return;
      }
      bytesToRelay.addAndGet(n);
      tracker.addToRelay(n);
      lastActivityNanos = System.nanoTime();
      if (!room) {
        upBlocked = true;
        upWriteSince = System.nanoTime() | 1L;
        loop.interestAnd(key, SelectionKey.OP_READ);
        if (conn.hasSendRoom()) {
          sendRoom(); // drained meanwhile
        }
        return;
      }
    }
  }

  /** The relay's send queue drained to within the window: read TCP again. */
  private void sendRoom() {
    if (!upBlocked || upDone || aborted.get() || !conn.hasSendRoom()) {
      return;
    }
    upBlocked = false;
    upWriteSince = 0;
    loop.interestOr(key, SelectionKey.OP_READ);
  }

  /** Relay to TCP, on the loop: write received messages to the socket until it is full. */
  private void pumpDown() {
    if (downDone || aborted.get()) {
      return;
    }
    while (true) {
      ByteBuffer b = downPending;
      if (b == null) {
        try {
          b = conn.pollReceived();
        } catch (IOException e) {
          abort(ForwardOutcome.RELAY_ABORTED, e);
          return;
        }
        if (b == null) {
          return; // the read listener runs again when more arrives
        }
        if (b == ConnectionImpl.END_OF_STREAM) {
          downDone = true;
          IOException unclean = uncleanClose(relay);
          if (unclean != null) {
            abort(ForwardOutcome.RELAY_ABORTED, unclean);
            return;
          }
          try {
            channel.shutdownOutput();
          } catch (IOException e) {
            abort(ForwardOutcome.TCP_RESET, e);
            return;
          }
          directionDone();
          return;
        }
      }
      int n;
      try {
        n = channel.write(b);
      } catch (IOException e) {
        abort(ForwardOutcome.TCP_RESET, e);
        return;
      }
      if (n > 0) {
        bytesFromRelay.addAndGet(n);
        tracker.addFromRelay(n);
        lastActivityNanos = System.nanoTime();
      }
      if (b.hasRemaining()) {
        if (downPending == null) {
          downPending = b;
          downWriteSince = System.nanoTime() | 1L;
          loop.interestOr(key, SelectionKey.OP_WRITE);
        }
        return;
      }
      if (downPending != null) {
        downPending = null;
        downWriteSince = 0;
        loop.interestAnd(key, SelectionKey.OP_WRITE);
      }
      ConnectionImpl.recycle(b); // all of it is in the socket now
    }
  }

  /** Counts bytes the forwarder sent to the relay before this pump started (early data). */
  public void countEarlyBytes(int n) {
    if (n > 0) {
      bytesToRelay.addAndGet(n);
      tracker.addToRelay(n);
    }
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
        in = up ? ChannelStreams.in(channel) : relay.getInputStream();
      } catch (IOException e) {
        abort(sourceFailed, e);
        return;
      }
      try {
        out = up ? relay.getOutputStream() : ChannelStreams.out(channel);
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
          bytesToRelay.addAndGet(n);
          tracker.addToRelay(n);
        } else {
          bytesFromRelay.addAndGet(n);
          tracker.addFromRelay(n);
        }
        lastActivityNanos = System.nanoTime();
      }
      if (!up) {
        IOException unclean = uncleanClose(relay);
        if (unclean != null) {
          abort(ForwardOutcome.RELAY_ABORTED, unclean);
          return;
        }
      }
      try {
        if (up) {
          relay.shutdownOutput();
        } else {
          channel.shutdownOutput();
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
        if (conn != null) {
          conn.closeAsync(); // on the loop: never wait there
        } else {
          relay.close();
        }
      } catch (IOException | RuntimeException e) {
        log.debug("{}: closing the relay connection failed: {}", id, e.toString());
      }
      setLinger(channel, -1); // both directions ended: a normal close (FIN after the pending data)
      try {
        channel.close();
      } catch (IOException e) {
        log.debug("{}: closing the socket failed: {}", id, e.toString());
      }
    }
    complete();
  }

  /** Records the end once: both directions ended, or (non-blocking pump) an abort. */
  private void complete() {
    if (!completed.compareAndSet(false, true)) {
      return;
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
    resetSocket(channel);
    if (conn != null) {
      complete(); // no pump thread will finish it
    }
  }

  /**
   * Closes a socket so that a TCP peer sees a reset (SO_LINGER 0), not a clean end. A Unix domain
   * socket has no reset and is just closed.
   */
  public static void resetSocket(SocketChannel socket) {
    try {
      if (socket.isOpen() && socket.supportedOptions().contains(StandardSocketOptions.SO_LINGER)) {
        socket.setOption(StandardSocketOptions.SO_LINGER, 0);
      }
    } catch (IOException | RuntimeException ignored) {
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
  public String trackingId() {
    return relay.trackingId();
  }
}
