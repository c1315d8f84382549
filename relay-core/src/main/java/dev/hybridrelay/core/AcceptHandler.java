package dev.hybridrelay.core;

/**
 * Decides whether a listener accepts an incoming connection, before it is accepted.
 *
 * <p>Called on a library thread (never the control channel's receive thread), once per incoming
 * sender. Return {@code true} to accept. Return {@code false} to reject: the sender's connect fails
 * with the status and description set by {@link RelayConnectionRequest#reject(int, String)}, or 400
 * "Rejected by user code" if none was set. If the handler throws, the sender gets 502. The relay
 * waits about 30 seconds for a decision, so handlers must not block for long.
 */
@FunctionalInterface
public interface AcceptHandler {
  /** Returns whether to accept {@code request}. */
  boolean accept(RelayConnectionRequest request) throws Exception;
}
