package dev.hybridrelay.micrometer;

import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.server.RelayServerMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToIntFunction;

/**
 * Meters of a {@link LocalRelayServer}: pass {@link #bind(MeterRegistry)} to
 * {@link LocalRelayServer.Builder#metrics}. One instance per server; a new server started with the
 * same instance (a restart) takes over its gauges.
 *
 * <table>
 * <caption>Meters (Prometheus names)</caption>
 * <tr><th>Name</th><th>Type</th><th>Tags</th><th>Meaning</th></tr>
 * <tr><td>{@code hybridrelay_relay_listeners}</td><td>gauge</td><td></td><td>listener control channels open</td></tr>
 * <tr><td>{@code hybridrelay_relay_listener_connects_total}</td><td>counter</td><td></td><td>control channels admitted</td></tr>
 * <tr><td>{@code hybridrelay_relay_connections_open}</td><td>gauge</td><td></td><td>relayed connections open</td></tr>
 * <tr><td>{@code hybridrelay_relay_connections_total}</td><td>counter</td><td></td><td>relayed connections opened</td></tr>
 * <tr><td>{@code hybridrelay_relay_rendezvous_pending}</td><td>gauge</td><td></td><td>senders waiting for a listener</td></tr>
 * <tr><td>{@code hybridrelay_relay_rendezvous_seconds}</td><td>timer (histogram)</td><td></td>
 *   <td>sender upgrade to listener accept</td></tr>
 * <tr><td>{@code hybridrelay_relay_bytes_total}</td><td>counter</td>
 *   <td>{@code direction}: {@code sender_to_listener}, {@code listener_to_sender}</td><td>payload bytes relayed</td></tr>
 * <tr><td>{@code hybridrelay_relay_refusals_total}</td><td>counter</td><td>{@code status}</td>
 *   <td>upgrades and handshakes refused</td></tr>
 * <tr><td>{@code hybridrelay_relay_http_requests_total}</td><td>counter</td><td>{@code status}</td>
 *   <td>HTTP request-mode responses</td></tr>
 * <tr><td>{@code hybridrelay_relay_http_requests_active}</td><td>gauge</td><td></td><td>HTTP requests in progress</td></tr>
 * </table>
 */
public final class RelayServerMeters implements RelayServerMetrics {
  private final MeterRegistry registry;
  private final Tags tags;
  private final LongAdder fromSender = new LongAdder();
  private final LongAdder fromListener = new LongAdder();
  private final LongAdder connections = new LongAdder();
  private final LongAdder listenerConnects = new LongAdder();
  private final Timer rendezvous;
  private final StatusCounters refusals;
  private final StatusCounters httpRequests;
  private volatile LocalRelayServer server;
  private boolean gaugesRegistered;

  private RelayServerMeters(MeterRegistry registry, Iterable<Tag> tags) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.tags = Tags.of(tags);
    FunctionCounter.builder("hybridrelay.relay.bytes", fromSender, LongAdder::sum).baseUnit("bytes")
        .description("WebSocket payload bytes relayed").tags(this.tags).tag("direction", "sender_to_listener")
        .register(registry);
    FunctionCounter.builder("hybridrelay.relay.bytes", fromListener, LongAdder::sum).baseUnit("bytes")
        .description("WebSocket payload bytes relayed").tags(this.tags).tag("direction", "listener_to_sender")
        .register(registry);
    FunctionCounter.builder("hybridrelay.relay.connections", connections, LongAdder::sum)
        .description("Relayed connections opened (a sender spliced to a listener)").tags(this.tags)
        .register(registry);
    FunctionCounter.builder("hybridrelay.relay.listener.connects", listenerConnects, LongAdder::sum)
        .description("Listener control channels admitted").tags(this.tags).register(registry);
    this.rendezvous = Timer.builder("hybridrelay.relay.rendezvous")
        .description("From a sender's upgrade request to the listener's accept")
        .tags(this.tags).publishPercentiles(LatencyBuckets.PERCENTILES)
        .serviceLevelObjectives(LatencyBuckets.BUCKETS).register(registry);
    this.refusals = new StatusCounters(registry, "hybridrelay.relay.refusals",
        "WebSocket upgrades and handshakes refused, by HTTP status", this.tags);
    this.httpRequests = new StatusCounters(registry, "hybridrelay.relay.http.requests",
        "HTTP request-mode requests answered, by HTTP status", this.tags);
  }

  /** Meters in {@code registry}, without extra tags. */
  public static RelayServerMeters bind(MeterRegistry registry) {
    return new RelayServerMeters(registry, Tags.empty());
  }

  /** Meters in {@code registry}, each with {@code tags} added (bounded values only). */
  public static RelayServerMeters bind(MeterRegistry registry, Iterable<Tag> tags) {
    return new RelayServerMeters(registry, tags);
  }

  @Override
  public synchronized void started(LocalRelayServer server) {
    this.server = server;
    if (gaugesRegistered) {
      return;
    }
    gaugesRegistered = true;
    gauge("hybridrelay.relay.listeners", "Listener control channels open", LocalRelayServer::listenerCount);
    gauge("hybridrelay.relay.connections.open", "Relayed connections open", LocalRelayServer::activeConnectionCount);
    gauge("hybridrelay.relay.rendezvous.pending", "Senders waiting for a listener to accept",
        LocalRelayServer::pendingRendezvousCount);
    gauge("hybridrelay.relay.http.requests.active", "HTTP request-mode requests in progress",
        LocalRelayServer::activeHttpRequestCount);
  }

  private void gauge(String name, String description, ToIntFunction<LocalRelayServer> value) {
    Gauge.builder(name, this, m -> {
      LocalRelayServer s = m.server;
      return s == null ? 0 : value.applyAsInt(s);
    }).description(description).tags(tags).strongReference(true).register(registry);
  }

  @Override
  public void listenerConnected() {
    listenerConnects.increment();
  }

  @Override
  public void connectionOpened(long rendezvousNanos) {
    connections.increment();
    rendezvous.record(rendezvousNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void bytesFromSender(long bytes) {
    fromSender.add(bytes);
  }

  @Override
  public void bytesFromListener(long bytes) {
    fromListener.add(bytes);
  }

  @Override
  public void refused(int status) {
    refusals.increment(status);
  }

  @Override
  public void httpRequest(int status) {
    httpRequests.increment(status);
  }
}
