package dev.hybridrelay.server;

/**
 * Receives a {@link LocalRelayServer}'s events for metrics; hand one to
 * {@link LocalRelayServer.Builder#metrics}. Every method has a no-op default, and
 * {@link #NONE} is the default of the builder. The {@code relay-micrometer} module adapts this
 * interface to a Micrometer {@code MeterRegistry}; this module does not depend on Micrometer.
 *
 * <h2>Threads and cost</h2>
 * Methods other than {@link #started} are called on the relay's I/O threads, on the data path for
 * {@link #bytesFromSender} and {@link #bytesFromListener} (once per socket read batch, not per
 * frame). They must not block, take a lock that an I/O thread may wait for, or allocate per call:
 * add to a {@link java.util.concurrent.atomic.LongAdder} or similar. An exception thrown here is
 * not caught: it is treated like a failure of the connection being served.
 *
 * <h2>Gauges</h2>
 * Levels (listeners online, connections open, rendezvous pending, HTTP requests in progress) are
 * not reported as events: read them from the server passed to {@link #started}
 * ({@link LocalRelayServer#listenerCount()}, {@link LocalRelayServer#activeConnectionCount()},
 * {@link LocalRelayServer#pendingRendezvousCount()}, {@link LocalRelayServer#activeHttpRequestCount()}).
 * Nothing here carries a hybrid connection name, a token or an address.
 */
public interface RelayServerMetrics {
  /** Ignores every event. */
  RelayServerMetrics NONE = new RelayServerMetrics() {};

  /** The server bound its port and serves; called once per start, on the thread that started it. */
  default void started(LocalRelayServer server) {}

  /** A listener's control channel was admitted ({@code sb-hc-action=listen} upgraded). */
  default void listenerConnected() {}

  /**
   * A sender was spliced to a listener: a relayed connection opened.
   *
   * @param rendezvousNanos from the sender's upgrade request (routed to a listener) to the
   *     listener's accept of the rendezvous address
   */
  default void connectionOpened(long rendezvousNanos) {}

  /** WebSocket payload bytes relayed from a sender to its listener (one read batch). */
  default void bytesFromSender(long bytes) {}

  /** WebSocket payload bytes relayed from a listener to its sender (one read batch). */
  default void bytesFromListener(long bytes) {}

  /**
   * A WebSocket upgrade (listen, connect, accept) or a handshake was refused with {@code status}
   * (401, 403, 404, 408, 431, 503, 504, a listener's rejection status, …).
   */
  default void refused(int status) {}

  /**
   * An HTTP request-mode request got its response status: the listener's, or the relay's own
   * error (401, 404, 502, 503, 504, …).
   */
  default void httpRequest(int status) {}
}
