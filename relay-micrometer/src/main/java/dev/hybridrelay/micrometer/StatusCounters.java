package dev.hybridrelay.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Counters of one name, tagged by HTTP status: created on first use and then found by index (no map
 * lookup, no boxing). Statuses outside 100..999 count under {@code status="other"}; 0 counts under
 * {@code status="none"} (a failure without a status).
 */
final class StatusCounters {
  private final MeterRegistry registry;
  private final String name;
  private final String description;
  private final Iterable<Tag> tags;
  private final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(1000);

  StatusCounters(MeterRegistry registry, String name, String description, Iterable<Tag> tags) {
    this.registry = registry;
    this.name = name;
    this.description = description;
    this.tags = tags;
  }

  void increment(int status) {
    int i = status == 0 ? 0 : status >= 100 && status <= 999 ? status : 1;
    Counter c = byStatus.get(i);
    if (c == null) {
      String value = i == 0 ? "none" : i == 1 ? "other" : Integer.toString(i);
      c = Counter.builder(name).description(description).tags(Tags.of(tags).and("status", value))
          .register(registry);
      byStatus.compareAndSet(i, null, c);
    }
    c.increment();
  }
}
