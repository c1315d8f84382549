package dev.hybridrelay.core;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP request that a sender sent to the hybrid connection, as the relay forwarded it. Relay
 * credentials ({@code ServiceBusAuthorization}, {@code sb-hc-token}, an {@code Authorization} that
 * served as relay token) and connection-level headers are removed by the relay; {@code Via} names
 * the relay.
 */
public interface RelayHttpRequest {

  /** The HTTP method, e.g. {@code GET}. */
  String method();

  /** The request target as the relay sent it: path (hybrid connection name included) and query. */
  String requestTarget();

  /**
   * The part of the target below the hybrid connection, starting with {@code /} and with the query,
   * e.g. {@code /orders/17?expand=lines} for {@code /hyco/orders/17?expand=lines}.
   */
  String path();

  /** The headers (names case-insensitive, repeated headers comma-joined); unmodifiable. */
  Map<String, String> headers();

  /** One header, by case-insensitive name. */
  default Optional<String> header(String name) {
    return Optional.ofNullable(headers().get(name));
  }

  /** The sender's address as the relay saw it (unresolved), or {@code null} if the relay sent none. */
  InetSocketAddress remoteAddress();

  /**
   * The request body; empty if there is none. Bodies larger than 64 KiB, or of unknown length,
   * stream from the relay as they are read (with backpressure); a read fails with an
   * {@link java.io.IOException} if the request's connection breaks. Read it on the handler's thread.
   */
  InputStream body();

  /** The relay's id of this request (for logs; the same id appears in the relay's error texts). */
  String trackingId();
}
