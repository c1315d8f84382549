package dev.hybridrelay.core;

import java.net.ConnectException;

/**
 * The relay refused a connection or a listener registration: no such hybrid connection or no
 * listener online (404), a listener's rejection (its own status), or a service error. Subclass
 * {@link RelayAuthorizationException} covers 401 and 403.
 *
 * <p>The message has the form {@code "404 There are no listeners connected for the endpoint.
 * TrackingId:…"} and never contains a token.
 */
public class RelayConnectException extends ConnectException implements RelayRefusal {
  private final int statusCode;
  private final String statusDescription;
  private final String trackingId;

  public RelayConnectException(int statusCode, String statusDescription, String trackingId) {
    super(format(statusCode, statusDescription, trackingId));
    this.statusCode = statusCode;
    this.statusDescription = statusDescription == null ? "" : statusDescription;
    this.trackingId = trackingId;
  }

  static String format(int statusCode, String description, String trackingId) {
    StringBuilder sb = new StringBuilder();
    if (statusCode > 0) {
      sb.append(statusCode).append(' ');
    }
    sb.append(description == null || description.isEmpty() ? "Connection refused by the relay" : description);
    if (trackingId != null && (description == null || !description.contains(trackingId))) {
      sb.append(" (TrackingId:").append(trackingId).append(')');
    }
    return sb.toString();
  }

  @Override
  public int statusCode() {
    return statusCode;
  }

  @Override
  public String statusDescription() {
    return statusDescription;
  }

  @Override
  public String trackingId() {
    return trackingId;
  }

  /** Whether waiting and retrying may help (404 no listener, 408, 5xx). */
  public boolean isTransient() {
    return statusCode == 404 || statusCode == 408 || statusCode >= 500;
  }
}
