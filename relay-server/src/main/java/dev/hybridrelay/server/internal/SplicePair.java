package dev.hybridrelay.server.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.AttributeKey;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sender WebSocket spliced to a listener's rendezvous WebSocket. Close frames are forwarded
 * per direction (half-close); once both directions have forwarded their Close, both TCP
 * connections are closed. A leg that drops without a Close aborts the other leg (RST).
 *
 * <p>A leg that sends its Close and then shuts down its TCP output (FIN, or TLS {@code close_notify}
 * then FIN: Jetty's WebSocket client does so without waiting for the reply) stays open for writing:
 * the other side's data and Close are still forwarded to it (RFC 6455 section 5.5.1), for at most
 * the close timeout; then both legs are closed. A FIN without a Close is a drop, as before.
 *
 * <pre>
 *   sender ──frames──▶ [SpliceHandler SENDER] ──write──▶ listener leg
 *   sender ◀──write── [SpliceHandler LISTENER] ◀──frames── listener leg
 * </pre>
 */
final class SplicePair {
  static final AttributeKey<SplicePair> PAIR_KEY = AttributeKey.valueOf("hybridrelay.pair");
  private static final Logger log = LoggerFactory.getLogger(SplicePair.class);

  enum Side { SENDER, LISTENER }

  private final RelayEngine engine;
  final String trackingId;
  private final Channel sender;
  private final Channel listener;
  private final AtomicBoolean senderCloseForwarded = new AtomicBoolean();
  private final AtomicBoolean listenerCloseForwarded = new AtomicBoolean();
  private final AtomicInteger legsClosed = new AtomicInteger();
  private final AtomicBoolean terminated = new AtomicBoolean();
  private volatile boolean closing;
  private volatile ScheduledFuture<?> halfClosedTimer;
  // Streaming forwarders (both legs on one I/O thread), or null with SpliceHandler.
  private StreamSpliceHandler senderIn;
  private StreamSpliceHandler listenerIn;

  SplicePair(RelayEngine engine, String trackingId, Channel sender, Channel listener) {
    this.engine = engine;
    this.trackingId = trackingId;
    this.sender = sender;
    this.listener = listener;
    sender.attr(PAIR_KEY).set(this);
    listener.attr(PAIR_KEY).set(this);
    engine.pairs.add(this);
  }

  /** Registers the streaming forwarder that reads {@code side}. */
  void streamHandler(Side side, StreamSpliceHandler h) {
    if (side == Side.SENDER) {
      senderIn = h;
    } else {
      listenerIn = h;
    }
  }

  /** The streaming forwarder that writes into {@code side}'s channel (it reads the other leg). */
  private StreamSpliceHandler writerInto(Side side) {
    return side == Side.SENDER ? listenerIn : senderIn;
  }

  /** Writes a control frame into {@code side}'s channel without splitting a data frame in progress. */
  void writeControlInto(Side side, io.netty.handler.codec.http.websocketx.WebSocketFrame frame) {
    StreamSpliceHandler w = writerInto(side);
    if (w != null) {
      w.writeControlAfterFrame(frame);
    } else {
      channel(side).writeAndFlush(frame);
    }
  }

  Channel channel(Side side) {
    return side == Side.SENDER ? sender : listener;
  }

  Channel peer(Side side) {
    return side == Side.SENDER ? listener : sender;
  }

  private AtomicBoolean closeForwarded(Side side) {
    return side == Side.SENDER ? senderCloseForwarded : listenerCloseForwarded;
  }

  boolean closeForwardedFrom(Side side) {
    return closeForwarded(side).get();
  }

  /** Forwards the Close received on {@code from} to the peer; closes both when both are done. */
  void forwardClose(Side from, CloseWebSocketFrame frame) {
    if (!closeForwarded(from).compareAndSet(false, true)) {
      frame.release();
      return;
    }
    Channel peer = peer(from);
    boolean both = senderCloseForwarded.get() && listenerCloseForwarded.get();
    peer.writeAndFlush(frame).addListener((ChannelFutureListener) f -> {
      if (both) {
        RelayEngine.closeAfterFlush(sender);
        RelayEngine.closeAfterFlush(listener);
      }
    });
  }

  /** Closes both legs with the same close frame (limits, protocol errors, shutdown). */
  void closeBoth(int code, String reason) {
    if (closing) {
      return;
    }
    closing = true;
    String r = ControlChannelHandler.trimReason(reason);
    for (Side s : Side.values()) {
      Channel ch = channel(s);
      if (!ch.isActive()) {
        continue;
      }
      StreamSpliceHandler w = writerInto(s);
      if (w != null && w.midFrame()) {
        RelayEngine.abort(ch); // a Close cannot go in the middle of a data frame
        continue;
      }
      RelayEngine.closeAfterCloseFrame(ch, ch.writeAndFlush(new CloseWebSocketFrame(code, r)));
    }
  }

  /** True once the relay has started closing both legs: further data is dropped. */
  boolean closing() {
    return closing;
  }

  /** Drops both TCP connections without close frames. */
  void abort() {
    RelayEngine.abort(sender);
    RelayEngine.abort(listener);
  }

  /**
   * {@code side}'s peer shut down its TCP output. After its Close that is a half-close: the leg is
   * kept for writing until the other side's Close went through, at most the close timeout.
   * Without a Close before it, or while the relay is closing both legs, the leg ends now (its
   * pending writes flushed first); {@link #legClosed} then aborts the other leg if no Close passed.
   */
  void inputShutdown(Side side) {
    Channel ch = channel(side);
    if (closing || !closeForwarded(side).get()) {
      RelayEngine.closeAfterFlush(ch);
      return;
    }
    if (senderCloseForwarded.get() && listenerCloseForwarded.get()) {
      return; // forwardClose closes both once the last Close is flushed
    }
    long timeout = engine.settings.closeTimeout().toNanos();
    halfClosedTimer = ch.eventLoop().schedule(engine.guarded(() -> {
      if (ch.isOpen()) {
        log.debug("Connection {}: no Close from the {} leg within {} ms after the {} leg half-closed; "
            + "closing", trackingId, side == Side.SENDER ? "listener" : "sender",
            TimeUnit.NANOSECONDS.toMillis(timeout), side == Side.SENDER ? "sender" : "listener");
        RelayEngine.closeAfterFlush(ch);
      }
    }), timeout, TimeUnit.NANOSECONDS);
  }

  /** A leg's TCP connection ended: mirror a missing Close as an abort on the other leg. */
  void legClosed(Side side) {
    Channel peer = peer(side);
    if (peer.isActive()) {
      boolean bothForwarded = senderCloseForwarded.get() && listenerCloseForwarded.get();
      if (bothForwarded) {
        // Normal end of the close handshake; the peer is closed by forwardClose.
      } else if (closeForwarded(side).get()) {
        RelayEngine.closeAfterFlush(peer);
      } else {
        log.debug("Connection {}: {} leg dropped without a Close; aborting the other leg", trackingId,
            side == Side.SENDER ? "sender" : "listener");
        RelayEngine.abort(peer);
      }
    }
    ScheduledFuture<?> timer = halfClosedTimer;
    if (timer != null) {
      timer.cancel(false);
    }
    if (legsClosed.incrementAndGet() >= 2 && terminated.compareAndSet(false, true)) {
      engine.pairs.remove(this);
      log.debug("Connection {} ended", trackingId);
    }
  }
}
