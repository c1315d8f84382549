package dev.hybridrelay.core;

/**
 * Receives a {@link RelayListener}'s state changes. Every method has a no-op default.
 *
 * <p>Methods are called in order, one at a time, on a library thread named
 * {@code hybridrelay-listener-events-…}, never while the library holds a lock; they should return
 * quickly. An exception thrown here is logged and otherwise ignored.
 */
public interface RelayListenerEvents {
  /**
   * The listener is (re)connecting its control channel.
   *
   * @param cause why the previous channel was lost, or {@code null} for the first attempt
   */
  default void onConnecting(Throwable cause) {}

  /** The control channel is up and the relay routes senders to this listener. */
  default void onOnline() {}

  /**
   * The listener stopped: after {@link RelayListener#close()} ({@code cause} is {@code null}) or a
   * permanent failure such as 404 entity missing or 401/403 credentials refused.
   */
  default void onOffline(Throwable cause) {}

  /**
   * A listener built with {@link RelayListener.Builder#endpoints several relay endpoints}: the
   * registration with one node changed state ({@link ListenerState#ONLINE ONLINE} registered,
   * {@link ListenerState#CONNECTING CONNECTING} lost or not reachable yet and retrying,
   * {@link ListenerState#OFFLINE OFFLINE} refused for good). The listener's own state follows: online
   * while at least one registration is. Not called for a listener with one endpoint.
   *
   * @param endpoint the node's endpoint ({@code sb://host:port/}, normalized as in a connection string)
   * @param cause why the registration was lost or refused; {@code null} when it came online
   */
  default void onRegistrationChanged(java.net.URI endpoint, ListenerState state, Throwable cause) {}
}
