package dev.hybridrelay.core;

/**
 * The relay refused the credentials: 401 (token missing, malformed, badly signed or expired) or
 * 403 (valid token without the needed right, such as a Send-only rule used to listen). Retrying
 * with the same credentials does not help.
 */
public class RelayAuthorizationException extends RelayConnectException {
  public RelayAuthorizationException(int statusCode, String statusDescription, String trackingId) {
    super(statusCode, statusDescription, trackingId);
  }

  @Override
  public boolean isTransient() {
    return false;
  }
}
