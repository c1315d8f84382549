package dev.hybridrelay.core;

import java.io.OutputStream;
import java.util.Map;

/**
 * The response to one {@link RelayHttpRequest}. Status, reason and headers may change until the
 * response is committed; afterwards changes are ignored.
 *
 * <h2>Inline or streamed</h2>
 * Body bytes are buffered up to 64 KiB. If the body is closed (or the handler returns) with at most
 * 64 KiB written, the whole response goes in one piece (on the control channel for small requests).
 * When more is written, when {@link OutputStream#flush()} is called, or when the handler is still
 * writing 2 s after its first write, the response is committed and streamed over the request's
 * own rendezvous connection, as the .NET SDK does; writes then block while the relay does not take
 * the data (backpressure). Connection-level headers ({@code Connection}, {@code Transfer-Encoding},
 * …) are dropped by the relay; {@code Content-Length}, if set, must match the body.
 */
public interface RelayHttpResponse {

  /**
   * Sets the status code (200-999; default 200). 1xx statuses cannot be relayed as final answers.
   *
   * @throws IllegalArgumentException if out of range
   */
  void setStatus(int statusCode);

  /** The status code. */
  int status();

  /** Sets the reason phrase; default: the standard one for the status. */
  void setStatusDescription(String description);

  /** The response headers (names case-insensitive); modifiable until committed. */
  Map<String, String> headers();

  /**
   * The body; the same instance on every call. Closing it completes the response. Writes throw an
   * {@link java.io.IOException} if the request's connection is gone.
   */
  OutputStream body();

  /** Whether status and headers were sent. */
  boolean isCommitted();
}
