package dev.hybridrelay.micrometer;

import dev.hybridrelay.forward.ForwardStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Meters of forwarders, read from their {@link ForwardStats} when the registry is scraped (the
 * forwarders count already; nothing is added to their data path). Register each forwarder with
 * {@link #add}: {@code meters.add(Kind.LOCAL, localForwarder::stats)}. Forwarders of one kind are
 * summed; the {@code kind} tag is the only one, so the number of series does not grow with the
 * number of forwarders or hybrid connections.
 *
 * <table>
 * <caption>Meters (Prometheus names), each tagged {@code kind}: {@code local}, {@code remote}, {@code http},
 * {@code udp_local}</caption>
 * <tr><th>Name</th><th>Type</th><th>Meaning</th></tr>
 * <tr><td>{@code hybridrelay_forward_connections_active}</td><td>gauge</td><td>connections being forwarded</td></tr>
 * <tr><td>{@code hybridrelay_forward_connections_total}</td><td>counter</td><td>connections forwarded</td></tr>
 * <tr><td>{@code hybridrelay_forward_refusals_total}</td><td>counter</td><td>connections refused before forwarding</td></tr>
 * <tr><td>{@code hybridrelay_forward_failures_total}</td><td>counter</td><td>forwarded connections that ended abortively</td></tr>
 * <tr><td>{@code hybridrelay_forward_bytes_total}</td><td>counter, also tagged {@code direction}:
 *   {@code to_relay}, {@code from_relay}</td><td>bytes forwarded</td></tr>
 * </table>
 *
 * <p>Sender connect latency and refusals by status, and listeners online, come from
 * {@link RelayClientMeters} on the forwarders' senders and listeners.
 */
public final class ForwarderMeters {
  /** The forwarder kinds, the values of the {@code kind} tag. */
  public enum Kind { LOCAL, REMOTE, HTTP, UDP_LOCAL }

  private final MeterRegistry registry;
  private final Tags tags;
  private final Map<Kind, List<Supplier<ForwardStats>>> sources = new EnumMap<>(Kind.class);

  private ForwarderMeters(MeterRegistry registry, Iterable<Tag> tags) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.tags = Tags.of(tags);
  }

  /** Meters in {@code registry}, without extra tags. */
  public static ForwarderMeters bind(MeterRegistry registry) {
    return new ForwarderMeters(registry, Tags.empty());
  }

  /** Meters in {@code registry}, each with {@code tags} added (bounded values only). */
  public static ForwarderMeters bind(MeterRegistry registry, Iterable<Tag> tags) {
    return new ForwarderMeters(registry, tags);
  }

  /** Counts the forwarder whose counters {@code stats} returns (for example {@code forwarder::stats}). */
  public synchronized ForwarderMeters add(Kind kind, Supplier<ForwardStats> stats) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(stats, "stats");
    List<Supplier<ForwardStats>> list = sources.get(kind);
    if (list == null) {
      list = new CopyOnWriteArrayList<>();
      sources.put(kind, list);
      register(kind, list);
    }
    list.add(stats);
    return this;
  }

  private void register(Kind kind, List<Supplier<ForwardStats>> list) {
    Tags t = tags.and("kind", kind.name().toLowerCase(Locale.ROOT));
    Gauge.builder("hybridrelay.forward.connections.active", list, l -> sum(l, ForwardStats::activeConnections))
        .description("Connections being forwarded").tags(t).strongReference(true).register(registry);
    counter("hybridrelay.forward.connections", "Connections forwarded", t, list, ForwardStats::totalConnections, null);
    counter("hybridrelay.forward.refusals", "Connections refused before forwarding", t, list,
        ForwardStats::refusedConnections, null);
    counter("hybridrelay.forward.failures", "Forwarded connections that ended abortively", t, list,
        ForwardStats::failedConnections, null);
    counter("hybridrelay.forward.bytes", "Bytes forwarded", t.and("direction", "to_relay"), list,
        ForwardStats::bytesToRelay, "bytes");
    counter("hybridrelay.forward.bytes", "Bytes forwarded", t.and("direction", "from_relay"), list,
        ForwardStats::bytesFromRelay, "bytes");
  }

  private void counter(String name, String description, Tags t, List<Supplier<ForwardStats>> list,
      ToLongFunction<ForwardStats> value, String unit) {
    FunctionCounter.builder(name, list, l -> sum(l, value)).description(description).tags(t).baseUnit(unit)
        .register(registry);
  }

  private static double sum(List<Supplier<ForwardStats>> list, ToLongFunction<ForwardStats> value) {
    long n = 0;
    for (Supplier<ForwardStats> s : list) {
      n += value.applyAsLong(s.get());
    }
    return n;
  }
}
