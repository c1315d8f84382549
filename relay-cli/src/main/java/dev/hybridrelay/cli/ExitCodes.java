package dev.hybridrelay.cli;

import dev.hybridrelay.core.RelayAuthorizationException;
import dev.hybridrelay.core.RelayRefusal;
import dev.hybridrelay.core.RelayTimeoutException;

/**
 * The exit codes of {@code hybridrelay connect} and {@code listen}, one per kind of refusal so that
 * scripts can tell them apart (the {@code --help} footers and the site list the same table).
 */
final class ExitCodes {
  private ExitCodes() {}

  /** connect: the peer closed cleanly. */
  static final int OK = 0;
  /** The relay could not be reached, the connection broke or was aborted, or standard output failed. */
  static final int FAILURE = 1;
  /** Usage or configuration error. */
  static final int USAGE = 2;
  /** Refused with another status (the listener rejected, 400, 410, 503, …), or the forwarder refused the port name. */
  static final int REFUSED = 3;
  /** 401: the token is missing, malformed, badly signed or expired (wrong rule name or key). */
  static final int UNAUTHORIZED = 4;
  /** 403: the rule lacks the right (Send for connect, Listen for listen). */
  static final int FORBIDDEN = 5;
  /** 404: no such hybrid connection, or (connect) no listener online. */
  static final int NOT_FOUND = 6;
  /** No answer in time: no listener accepted within --timeout (or the relay answered 408/504). */
  static final int TIMEOUT = 7;

  /** The help footer: the table, as picocli format text. */
  static final String FOOTER = ""
      + "  0  connect: the peer closed cleanly%n"
      + "  1  the relay could not be reached, the connection broke or was aborted,%n"
      + "     or standard output failed%n"
      + "  2  usage or configuration error%n"
      + "  3  refused with another status (listener rejection, 400, 410, 503),%n"
      + "     or the forwarder refused --port-name%n"
      + "  4  401 unauthorized: wrong rule name or key, or an expired token%n"
      + "  5  403 forbidden: the rule lacks the Send (connect) or Listen (listen) right%n"
      + "  6  404 not found: no such hybrid connection, or no listener online%n"
      + "  7  timeout: no listener accepted within --timeout (or the relay said 408/504)%n"
      + "%n"
      + "The connection string may also come from HYBRIDRELAY_CONNECTION_STRING or%n"
      + "AZURE_BRIDGE_CONNECTIONSTRING.";

  /** The exit code for a failed connect or listener open. */
  static int of(Throwable e) {
    if (e instanceof RelayTimeoutException) {
      return TIMEOUT;
    }
    if (e instanceof RelayRefusal) {
      int status = ((RelayRefusal) e).statusCode();
      if (status == 401) {
        return UNAUTHORIZED;
      }
      if (status == 403) {
        return FORBIDDEN;
      }
      if (status == 404) {
        return NOT_FOUND;
      }
      if (status == 408 || status == 504) {
        return TIMEOUT;
      }
      return e instanceof RelayAuthorizationException ? UNAUTHORIZED : REFUSED;
    }
    return FAILURE;
  }
}
