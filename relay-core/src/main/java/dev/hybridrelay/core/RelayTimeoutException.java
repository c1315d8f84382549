package dev.hybridrelay.core;

import java.net.SocketTimeoutException;

/**
 * A connect or listener-open attempt did not complete in time: the relay answered 408 or 504 (the
 * listener neither accepted nor rejected in time), or no answer arrived before the local deadline
 * ({@link #statusCode()} is then 0).
 */
public class RelayTimeoutException extends SocketTimeoutException implements RelayRefusal {
  private final int statusCode;
  private final String statusDescription;
  private final String trackingId;

  public RelayTimeoutException(int statusCode, String statusDescription, String trackingId) {
    super(RelayConnectException.format(statusCode, statusDescription, trackingId));
    this.statusCode = statusCode;
    this.statusDescription = statusDescription == null ? "" : statusDescription;
    this.trackingId = trackingId;
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
}
