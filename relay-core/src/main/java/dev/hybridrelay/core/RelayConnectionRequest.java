package dev.hybridrelay.core;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * An incoming sender as a listener sees it before accepting: what the relay's {@code accept}
 * message carried. Passed to an {@link AcceptHandler}.
 */
public interface RelayConnectionRequest {
  /** The relay's tracking id for this connection. */
  String trackingId();

  /** The sender's handshake headers, case-insensitive keys, without the relay token. */
  Map<String, String> headers();

  /**
   * The logical address the sender asked for: listener scheme and host, the hybrid connection path
   * plus any suffix, and the query without {@code sb-hc-*} parameters.
   */
  URI requestUri();

  /** The path after the hybrid connection name (without leading '/'), or {@code ""}. */
  String pathSuffix();

  /** The sender's query parameters, {@code sb-hc-*} removed, in order. */
  Map<String, List<String>> queryParameters();

  /** The sender's address as the relay saw it (unresolved). */
  InetSocketAddress remoteAddress();

  /** The sub-protocols the sender offered, in order; empty if none. */
  List<String> offeredSubprotocols();

  /** Picks the sub-protocol to accept with; by default the first offered one. */
  void selectSubprotocol(String subprotocol);

  /**
   * Sets the status and description the sender gets if the handler then returns {@code false}.
   *
   * @param statusCode an HTTP status (400–599)
   */
  void reject(int statusCode, String description);
}
