package dev.hybridrelay.forward;

/**
 * How a forwarded connection ended. Everything but {@link #CLOSED} reached both ends as a reset,
 * except for UDP flows ({@link ForwardedFlow}), which close their relay connection cleanly also on
 * {@link #IDLE_TIMEOUT} and {@link #FORWARDER_CLOSED}: a datagram flow has no stream to truncate.
 */
public enum ForwardOutcome {
  /** Both directions ended with a clean end of stream (TCP FIN, relay Close 1000). */
  CLOSED,
  /** The TCP peer reset the connection, or reading from or writing to it failed. */
  TCP_RESET,
  /** The relay connection failed or was aborted by the relay or the other forwarder. */
  RELAY_ABORTED,
  /** No byte moved in either direction for the idle timeout. */
  IDLE_TIMEOUT,
  /** A write blocked for longer than the write timeout. */
  WRITE_TIMEOUT,
  /** The forwarder was closed and the connection did not finish within the close timeout. */
  FORWARDER_CLOSED,
  /** The peer broke the wire format (a UDP flow received a datagram frame longer than 65,507 bytes). */
  MALFORMED
}
