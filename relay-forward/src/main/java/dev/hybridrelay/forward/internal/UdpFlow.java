package dev.hybridrelay.forward.internal;

import dev.hybridrelay.core.internal.ConnectionImpl;
import dev.hybridrelay.core.internal.IoLoop;
import dev.hybridrelay.forward.ForwardOutcome;
import dev.hybridrelay.forward.ForwardedFlow;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UDP flow over one relay connection in datagram mode, without a thread of its own.
 *
 * <ul>
 *   <li>UDP → relay: {@link #sendFramed} sends one complete frame (header and payload) as one relay
 *       message, or drops it whole when the connection's send window is full. It never blocks and
 *       never sends part of a frame, so loss never breaks the framing.
 *   <li>relay → UDP: on the connection's I/O loop, received messages are cut into datagrams by a
 *       {@link DatagramFraming.Decoder} and handed to the {@link Peer}; a datagram the UDP socket
 *       has no room for is dropped. A frame longer than 65,507 bytes closes the flow
 *       ({@link ForwardOutcome#MALFORMED}).
 *   <li>Idle (no datagram either way for the UDP idle timeout), a clean end of the relay connection
 *       or the forwarder's close end the flow cleanly (Close 1000); a relay failure or a malformed
 *       frame aborts the connection.
 * </ul>
 */
public final class UdpFlow extends ForwardedRecord implements ForwardTracker.Flow, ForwardedFlow {
  private static final Logger log = LoggerFactory.getLogger(UdpFlow.class);

  /** Where the flow's datagrams from the relay go. Called on the connection's I/O loop; must not block. */
  @FunctionalInterface
  public interface Peer {
    /**
     * Sends one datagram to the UDP peer; the buffer is valid only during the call.
     *
     * @return false if the socket had no room and the datagram was dropped
     * @throws IOException if the socket failed for good (the flow is aborted)
     */
    boolean send(ByteBuffer datagram) throws IOException;
  }

  private final ConnectionImpl conn;
  private final IoLoop loop;
  private final ForwardTracker tracker;
  private final UdpCounters counters;
  private final Peer peer;
  private final Runnable onEnd;
  private final long idleTimeoutNanos;
  private final DatagramFraming.Decoder decoder = new DatagramFraming.Decoder();

  private final AtomicLong datagramsToRelay = new AtomicLong();
  private final AtomicLong datagramsFromRelay = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private volatile long lastActivityNanos = openedNanos;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final CountDownLatch done = new CountDownLatch(1);

  /**
   * @param onEnd run once when the flow ended (closes the flow's own socket, or forgets the route)
   */
  public UdpFlow(String id, String hybridConnection, String portName, InetSocketAddress udpPeer, ConnectionImpl conn,
      ForwardTracker tracker, UdpCounters counters, Peer peer, Runnable onEnd) {
    super(id, hybridConnection, portName, udpPeer, "udp ");
    this.conn = conn;
    this.loop = conn.ioLoop();
    this.tracker = tracker;
    this.counters = counters;
    this.peer = peer;
    this.onEnd = onEnd;
    this.idleTimeoutNanos = tracker.options().udpIdleTimeout().toNanos();
  }

  /** The I/O loop of the flow's relay connection. */
  public IoLoop loop() {
    return loop;
  }

  /** Starts receiving from the relay. Call once, after {@link ForwardTracker#flowOpened}. */
  public void start() {
    loop.execute(() -> conn.setReadListener(() -> loop.execute(this::pumpDown)));
  }

  /**
   * Sends one frame: {@code frame} holds the 2-byte header and the payload, from its position to its
   * limit; its content is copied, so the caller may reuse it. Drops the datagram if the relay
   * connection's send window is full. Never blocks; safe from any one thread at a time.
   */
  public void sendFramed(ByteBuffer frame) {
    if (ended.get()) {
      drop();
      return;
    }
    if (!conn.hasSendRoom()) {
      drop();
      return;
    }
    int payload = frame.remaining() - DatagramFraming.HEADER;
    try {
      conn.sendNow(frame);
    } catch (IOException e) {
      drop();
      abort(ForwardOutcome.RELAY_ABORTED, e);
      return;
    }
    datagramsToRelay.incrementAndGet();
    counters.toRelay.incrementAndGet();
    bytesToRelay.addAndGet(payload);
    tracker.addToRelay(payload);
    lastActivityNanos = System.nanoTime();
  }

  /** Counts a datagram of this flow as dropped. */
  public void drop() {
    dropped.incrementAndGet();
    counters.dropped.incrementAndGet();
  }

  /** Relay to UDP, on the loop: everything received so far, datagram by datagram. */
  private void pumpDown() {
    try {
      while (!ended.get()) {
        ByteBuffer b;
        try {
          b = conn.pollReceived();
        } catch (IOException e) {
          abort(ForwardOutcome.RELAY_ABORTED, e);
          return;
        }
        if (b == null) {
          return;
        }
        if (b == ConnectionImpl.END_OF_STREAM) {
          IOException unclean = uncleanClose(conn);
          if (unclean != null) {
            abort(ForwardOutcome.RELAY_ABORTED, unclean);
          } else {
            end(ForwardOutcome.CLOSED, null, true);
          }
          return;
        }
        try {
          decoder.feed(b, this::deliver);
        } catch (DatagramFraming.MalformedFrameException e) {
          counters.malformed.incrementAndGet();
          log.warn("{}: closing UDP flow {} on hybrid connection '{}' port name '{}': {}", id,
              ForwardLog.peer(peerAddress), hybridConnection, portName, e.getMessage());
          abort(ForwardOutcome.MALFORMED, e);
          return;
        }
        ConnectionImpl.recycle(b);
      }
    } catch (RuntimeException e) {
      log.warn("{}: UDP flow failed; aborting it", id, e);
      abort(ForwardOutcome.RELAY_ABORTED, e);
    }
  }

  private void deliver(ByteBuffer datagram) {
    if (ended.get()) {
      return;
    }
    int n = datagram.remaining();
    lastActivityNanos = System.nanoTime();
    boolean sent;
    try {
      sent = peer.send(datagram);
    } catch (IOException e) {
      drop();
      abort(ForwardOutcome.TCP_RESET, e);
      return;
    }
    if (!sent) {
      drop();
      return;
    }
    datagramsFromRelay.incrementAndGet();
    counters.fromRelay.incrementAndGet();
    bytesFromRelay.addAndGet(n);
    tracker.addFromRelay(n);
  }

  @Override
  public void abort(ForwardOutcome reason, Throwable cause) {
    boolean clean = reason == ForwardOutcome.FORWARDER_CLOSED || reason == ForwardOutcome.IDLE_TIMEOUT;
    end(reason, cause, clean);
  }

  /** Ends the flow once: closes (clean) or aborts the relay connection, runs onEnd, reports. */
  private void end(ForwardOutcome reason, Throwable cause, boolean clean) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    outcome = reason;
    failure = cause;
    log.debug("{}: UDP flow ended ({}){}", id, reason, cause == null ? "" : ": " + cause.getMessage());
    try {
      if (clean) {
        conn.closeAsync();
      } else {
        conn.abort();
      }
    } catch (RuntimeException e) {
      conn.abort();
    }
    try {
      onEnd.run();
    } catch (RuntimeException e) {
      log.debug("{}: cleaning up the flow failed: {}", id, e.toString());
    }
    closedNanos = System.nanoTime();
    try {
      tracker.flowEnded(this);
    } finally {
      done.countDown();
    }
  }

  @Override
  public boolean await(Duration timeout) throws InterruptedException {
    return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void checkTimeouts(long now) {
    if (idleTimeoutNanos > 0 && now - lastActivityNanos > idleTimeoutNanos) {
      abort(ForwardOutcome.IDLE_TIMEOUT, new IOException("no datagram in either direction for "
          + ForwardLog.duration(Duration.ofNanos(idleTimeoutNanos))));
    }
  }

  public boolean isEnded() {
    return ended.get();
  }

  @Override
  public long datagramsToRelay() {
    return datagramsToRelay.get();
  }

  @Override
  public long datagramsFromRelay() {
    return datagramsFromRelay.get();
  }

  @Override
  public long datagramsDropped() {
    return dropped.get();
  }

  @Override
  public String trackingId() {
    return conn.trackingId();
  }
}
