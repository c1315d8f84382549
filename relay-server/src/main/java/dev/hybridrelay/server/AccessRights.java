package dev.hybridrelay.server;

/**
 * Rights granted by a shared access signature (SAS) authorization rule, as in Azure Relay.
 *
 * <ul>
 *   <li>{@link #LISTEN}: open a listener control channel ({@code sb-hc-action=listen}) and renew
 *       its token ({@code renewToken}).</li>
 *   <li>{@link #SEND}: connect to a hybrid connection as a sender ({@code sb-hc-action=connect}).</li>
 *   <li>{@link #MANAGE}: implies both {@link #LISTEN} and {@link #SEND}. The local relay has no
 *       management API, so MANAGE grants nothing beyond those two.</li>
 * </ul>
 *
 * <p>Rendezvous (accept and reject) handshakes need no token: the one-time address handed to the
 * listener is the credential.
 */
public enum AccessRights {
  /** Open a listener control channel and renew its token. */
  LISTEN,
  /** Connect to a hybrid connection as a sender. */
  SEND,
  /** Implies {@link #LISTEN} and {@link #SEND}. */
  MANAGE;

  /**
   * Returns whether holding this right is enough for an operation that requires {@code required}.
   *
   * @param required the right an operation needs
   * @return {@code true} if this right is {@code required} or {@link #MANAGE}
   */
  public boolean implies(AccessRights required) {
    return this == required || this == MANAGE;
  }
}
