package dev.hybridrelay.micrometer;

import java.time.Duration;

/**
 * The latency timers' distribution: 15 fixed histogram buckets from 1 ms to 60 s (aggregatable:
 * Prometheus computes any percentile with {@code histogram_quantile} over them), and client-side
 * p50/p95/p99 for registries that publish percentiles next to a histogram. The Prometheus registry
 * exposes the buckets only.
 */
final class LatencyBuckets {
  static final double[] PERCENTILES = {0.5, 0.95, 0.99};
  static final Duration[] BUCKETS = {
    Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
    Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
    Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
    Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)
  };

  private LatencyBuckets() {}
}
