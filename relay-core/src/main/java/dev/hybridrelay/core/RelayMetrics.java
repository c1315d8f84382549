package dev.hybridrelay.core;

/**
 * Receives a {@link RelayListener}'s and a {@link RelaySender}'s events for metrics; hand one to
 * {@link RelayListener.Builder#metrics} and {@link RelaySender.Builder#metrics} (one instance may
 * serve many listeners and senders). Every method has a no-op default; {@link #NONE} is the
 * builders' default. The {@code relay-micrometer} module adapts this interface to a Micrometer
 * {@code MeterRegistry}; this module does not depend on Micrometer.
 *
 * <p>Listener events come on the listener's event thread ({@code hybridrelay-listener-events-…}),
 * in order; sender events on the thread that called {@link RelaySender#connect()}. None is on the
 * data path. Methods should return quickly, without blocking; an exception thrown here is logged
 * (listener) or propagates from {@code connect} (sender), so do not throw. No argument carries a
 * name, an address or a secret.
 */
public interface RelayMetrics {
  /** Ignores every event. */
  RelayMetrics NONE = new RelayMetrics() {};

  /**
   * A listener went online (its control channel is up). Balanced by exactly one
   * {@link #listenerOffline()} per listener before the next {@code listenerOnline()}.
   */
  default void listenerOnline() {}

  /** A listener that was online lost its control channel, or was closed. */
  default void listenerOffline() {}

  /** A listener is reconnecting its control channel after losing it (not the first attempt). */
  default void controlChannelReconnect() {}

  /**
   * A sender's {@code connect} returned a connection.
   *
   * @param nanos from the call to the relay connection being open (token, TCP, TLS, upgrade and the
   *     listener's accept)
   */
  default void senderConnected(long nanos) {}

  /**
   * A sender's {@code connect} failed.
   *
   * @param status the relay's or the listener's HTTP status ({@link RelayRefusal#statusCode()}),
   *     or 0 when there is none (network failure, connect timeout on the client side)
   * @param nanos from the call to the failure
   */
  default void senderFailed(int status, long nanos) {}
}
