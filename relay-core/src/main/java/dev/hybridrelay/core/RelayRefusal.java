package dev.hybridrelay.core;

/**
 * What the relay (or the listener, through the relay) said when it refused a connection or a
 * listener registration. Implemented by {@link RelayConnectException} and
 * {@link RelayTimeoutException}.
 */
public interface RelayRefusal {
  /** The HTTP status of the refused handshake (404, 401, 403, 410, 504, or a listener's code); 0 if none arrived. */
  int statusCode();

  /** The relay's or listener's description, without secrets; may be empty. */
  String statusDescription();

  /** The relay's tracking id for the attempt, or {@code null} if unknown. */
  String trackingId();
}
