package dev.hybridrelay.forward;

/**
 * Receives a forwarder's per-connection events, for status output and metrics. Every method has a
 * no-op default. Methods are called on the connection's own threads; they should return quickly.
 * An exception thrown here is logged and otherwise ignored.
 */
public interface ForwardEvents {
  /** A connection completed the handshake; bytes start flowing. */
  default void onOpened(ForwardedConnection connection) {}

  /** A forwarded connection ended; {@link ForwardedConnection#outcome()} says how. */
  default void onClosed(ForwardedConnection connection) {}

  /** A connection was refused or failed before forwarding started. */
  default void onRefused(ForwardFailure failure) {}
}
