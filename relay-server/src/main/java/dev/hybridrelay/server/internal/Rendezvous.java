package dev.hybridrelay.server.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A sender whose upgrade is held open while one listener decides. Identified by a 256-bit random
 * secret carried in the accept address ({@code sb-hc-rendezvous}); single use: the first accept
 * or reject that moves it out of {@link State#PENDING} wins, everything later is refused (403).
 */
final class Rendezvous {
  enum State { PENDING, ACCEPTED, REJECTED, EXPIRED, CANCELLED }

  final String secret;
  final String trackingId;
  final HybridConnection hc;
  final ChannelHandlerContext senderCtx;
  final HttpRequest senderRequest;
  final long createdNanos = System.nanoTime();
  private final AtomicReference<State> state = new AtomicReference<>(State.PENDING);
  private volatile ScheduledFuture<?> timeout;
  private volatile Runnable onDecided;

  Rendezvous(String secret, String trackingId, HybridConnection hc, ChannelHandlerContext senderCtx,
      HttpRequest senderRequest) {
    this.secret = secret;
    this.trackingId = trackingId;
    this.hc = hc;
    this.senderCtx = senderCtx;
    this.senderRequest = senderRequest;
  }

  Channel sender() {
    return senderCtx.channel();
  }

  void timeout(ScheduledFuture<?> f) {
    this.timeout = f;
  }

  /** True while no accept, reject, timeout or cancellation has decided this rendezvous. */
  boolean pending() {
    return state.get() == State.PENDING;
  }

  /**
   * Runs {@code cleanup} once when the rendezvous is decided (at once if it already is); replaces an
   * earlier one. Used to unhook the watch on the listener an offer went to.
   */
  void onDecided(Runnable cleanup) {
    this.onDecided = cleanup;
    if (!pending()) {
      runOnDecided();
    }
  }

  private void runOnDecided() {
    Runnable r = onDecided;
    onDecided = null;
    if (r != null) {
      r.run();
    }
  }

  /** Moves PENDING to {@code to}; removes the address from the table. False if already decided. */
  boolean finish(RelayEngine engine, State to) {
    if (!state.compareAndSet(State.PENDING, to)) {
      return false;
    }
    engine.rendezvous.remove(secret, this);
    ScheduledFuture<?> t = timeout;
    if (t != null) {
      t.cancel(false);
    }
    runOnDecided();
    return true;
  }

  /** Fails the waiting sender with a relay-generated status (reason in the service's shape). */
  void failSender(RelayEngine engine, int status, String message) {
    if (finish(engine, State.CANCELLED)) {
      engine.metrics.refused(status);
      String reason = engine.errors.reason(message, trackingId, hc.name());
      senderCtx.executor().execute(engine.guarded(
          () -> WebSocketUpgrade.refuse(senderCtx, status, reason, reason)));
    }
  }

  /** Accept timeout: the sender gets 504 and the address becomes invalid. */
  void expire(RelayEngine engine) {
    if (finish(engine, State.EXPIRED)) {
      engine.metrics.refused(504);
      String reason = engine.errors.reason(
          "The listener did not accept or reject the connection within "
              + engine.settings.acceptTimeout().toMillis() + " ms.", trackingId, hc.name());
      WebSocketUpgrade.refuse(senderCtx, 504, reason, reason);
    }
  }

  /** The listener rejected: the sender gets exactly the listener's status and description. */
  void rejectSender(RelayEngine engine, int status, String description) {
    engine.metrics.refused(status);
    senderCtx.executor().execute(engine.guarded(
        () -> WebSocketUpgrade.refuse(senderCtx, status, description, description)));
  }
}
