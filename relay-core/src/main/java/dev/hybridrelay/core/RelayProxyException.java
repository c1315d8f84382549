package dev.hybridrelay.core;

import java.net.ConnectException;

/**
 * An HTTP proxy on the way to the relay failed the connection: it could not be reached, did not
 * answer in time, asked for credentials (407) or refused the {@code CONNECT} tunnel (403, 502, …).
 * The message names the proxy ({@code host:port}) and its status, never a password. For a listener
 * this is an ordinary reconnect cause: it keeps retrying with backoff.
 */
public class RelayProxyException extends ConnectException {
  private static final long serialVersionUID = 1L;

  private final String proxy;
  private final int statusCode;

  /**
   * @param proxy the proxy as {@code host:port}
   * @param statusCode the proxy's HTTP status, or 0 if it gave none (unreachable, timeout, bad reply)
   * @param message the full description
   */
  public RelayProxyException(String proxy, int statusCode, String message) {
    super(message);
    this.proxy = proxy;
    this.statusCode = statusCode;
  }

  /** The proxy as {@code host:port}. */
  public String proxy() {
    return proxy;
  }

  /** The proxy's HTTP status (407, 403, 502, …), or 0 if it gave none. */
  public int statusCode() {
    return statusCode;
  }

  /** True for a 407: the proxy wants (other) credentials. */
  public boolean isAuthenticationRequired() {
    return statusCode == 407;
  }
}
