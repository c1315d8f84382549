package dev.hybridrelay.micrometer;

import dev.hybridrelay.core.RelayListener;
import dev.hybridrelay.core.RelayMetrics;
import dev.hybridrelay.core.RelaySender;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Meters of {@link RelayListener}s and {@link RelaySender}s: pass {@link #bind(MeterRegistry)} to
 * {@link RelayListener.Builder#metrics} and {@link RelaySender.Builder#metrics}; one instance can
 * serve every listener and sender of an application (the meters then sum over them).
 *
 * <table>
 * <caption>Meters (Prometheus names)</caption>
 * <tr><th>Name</th><th>Type</th><th>Tags</th><th>Meaning</th></tr>
 * <tr><td>{@code hybridrelay_listeners_online}</td><td>gauge</td><td></td><td>listeners whose control channel is up</td></tr>
 * <tr><td>{@code hybridrelay_listener_reconnects_total}</td><td>counter</td><td></td>
 *   <td>control channels lost and being reconnected</td></tr>
 * <tr><td>{@code hybridrelay_sender_connect_seconds}</td><td>timer (histogram)</td>
 *   <td>{@code outcome}: {@code success}, {@code failure}</td><td>duration of {@code connect()}</td></tr>
 * <tr><td>{@code hybridrelay_sender_refusals_total}</td><td>counter</td><td>{@code status} ({@code none}
 *   without one)</td><td>failed {@code connect()} calls</td></tr>
 * </table>
 */
public final class RelayClientMeters implements RelayMetrics {
  private final AtomicInteger online = new AtomicInteger();
  private final LongAdder reconnects = new LongAdder();
  private final Timer connected;
  private final Timer failed;
  private final StatusCounters refusals;

  private RelayClientMeters(MeterRegistry registry, Iterable<Tag> tags) {
    Objects.requireNonNull(registry, "registry");
    Tags t = Tags.of(tags);
    Gauge.builder("hybridrelay.listeners.online", online, AtomicInteger::get)
        .description("Listeners whose control channel is up").tags(t).strongReference(true).register(registry);
    FunctionCounter.builder("hybridrelay.listener.reconnects", reconnects, LongAdder::sum)
        .description("Listener control channels lost and being reconnected").tags(t).register(registry);
    this.connected = connectTimer(registry, t, "success");
    this.failed = connectTimer(registry, t, "failure");
    this.refusals = new StatusCounters(registry, "hybridrelay.sender.refusals",
        "Sender connects that failed, by the relay's or listener's HTTP status", t);
  }

  private static Timer connectTimer(MeterRegistry registry, Tags tags, String outcome) {
    return Timer.builder("hybridrelay.sender.connect")
        .description("Duration of a sender connect: token, TCP, TLS, upgrade and the listener's accept")
        .tags(tags).tag("outcome", outcome).publishPercentiles(LatencyBuckets.PERCENTILES)
        .serviceLevelObjectives(LatencyBuckets.BUCKETS).register(registry);
  }

  /** Meters in {@code registry}, without extra tags. */
  public static RelayClientMeters bind(MeterRegistry registry) {
    return new RelayClientMeters(registry, Tags.empty());
  }

  /** Meters in {@code registry}, each with {@code tags} added (bounded values only). */
  public static RelayClientMeters bind(MeterRegistry registry, Iterable<Tag> tags) {
    return new RelayClientMeters(registry, tags);
  }

  @Override
  public void listenerOnline() {
    online.incrementAndGet();
  }

  @Override
  public void listenerOffline() {
    online.decrementAndGet();
  }

  @Override
  public void controlChannelReconnect() {
    reconnects.increment();
  }

  @Override
  public void senderConnected(long nanos) {
    connected.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void senderFailed(int status, long nanos) {
    failed.record(nanos, TimeUnit.NANOSECONDS);
    refusals.increment(status);
  }
}
