package dev.hybridrelay.forward;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A read-only view of one forwarded connection: a TCP or Unix domain socket connection spliced to a
 * relay connection. Byte
 * counts are live while the connection is open.
 */
public interface ForwardedConnection {
  /** A short id for logs, unique in this JVM: {@code L-12} (local forwarder) or {@code R-7} (remote). */
  String id();

  /** The hybrid connection name. */
  String hybridConnection();

  /** The logical port name from the preamble. */
  String portName();

  /**
   * The TCP peer: on a local forwarder the client that connected; on a remote forwarder the
   * configured target. {@code null} when the local side is a Unix domain socket (see {@link #peer()}).
   */
  InetSocketAddress tcpPeer();

  /**
   * The local side's peer: the TCP address as {@link #tcpPeer()}, or for a Unix domain socket its
   * {@link java.net.UnixDomainSocketAddress} (on a local forwarder the socket file it listens on,
   * since Unix socket clients have no address; on a remote forwarder the target socket file).
   */
  SocketAddress peer();

  /** The relay's tracking id of the relay connection, for correlating with relay logs. */
  String trackingId();

  /** Bytes read from the TCP peer and written to the relay so far. */
  long bytesToRelay();

  /** Bytes read from the relay and written to the TCP peer so far. */
  long bytesFromRelay();

  /** When forwarding started (after the handshake). */
  Instant openedAt();

  /** How long the connection has been (or was) open. */
  Duration duration();

  /** How it ended; empty while open. */
  Optional<ForwardOutcome> outcome();

  /** The error that ended it abortively, if any. */
  Optional<Throwable> failure();
}
