package dev.hybridrelay.forward.internal;

import dev.hybridrelay.core.RelayCloseStatus;
import dev.hybridrelay.core.RelayConnection;
import dev.hybridrelay.forward.ForwardOutcome;
import dev.hybridrelay.forward.ForwardedConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bookkeeping every forwarded connection or flow shares: its names, peer, byte counters, open and
 * close times, outcome and failure, and the {@link ForwardedConnection} accessors over them. The
 * subclass counts bytes, records the outcome and sets {@link #closedNanos} once when it ended; the
 * outcome is reported only after that. Fields are written by the subclass's threads and read from any
 * thread.
 */
abstract class ForwardedRecord implements ForwardedConnection {
  final String id;
  final String hybridConnection;
  final String portName;
  final SocketAddress peerAddress;
  private final String kind;

  final AtomicLong bytesToRelay = new AtomicLong();
  final AtomicLong bytesFromRelay = new AtomicLong();
  final Instant openedAt = Instant.now();
  final long openedNanos = System.nanoTime();
  volatile long closedNanos;
  volatile ForwardOutcome outcome;
  volatile Throwable failure;

  /** @param kind a word for {@link #toString()} before the peer ({@code "udp "}), or {@code ""} */
  ForwardedRecord(String id, String hybridConnection, String portName, SocketAddress peerAddress, String kind) {
    this.id = id;
    this.hybridConnection = hybridConnection;
    this.portName = portName;
    this.peerAddress = peerAddress;
    this.kind = kind;
  }

  /**
   * What to report when {@code relay}'s input ended: the error if it ended with a close that was not
   * clean (an abort or a non-1000 code), {@code null} for a clean end.
   */
  static IOException uncleanClose(RelayConnection relay) {
    Optional<RelayCloseStatus> status = relay.closeStatus();
    if (status.isPresent() && !status.get().clean()) {
      return new IOException("the relay connection ended with " + status.get().code() + " " + status.get().reason());
    }
    return null;
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
    return peerAddress instanceof InetSocketAddress ? (InetSocketAddress) peerAddress : null;
  }

  @Override
  public SocketAddress peer() {
    return peerAddress;
  }

  @Override
  public long bytesToRelay() {
    return bytesToRelay.get();
  }

  @Override
  public long bytesFromRelay() {
    return bytesFromRelay.get();
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
    return id + " " + kind + ForwardLog.peer(peerAddress) + " hc '" + hybridConnection + "' port '" + portName + "'";
  }
}
