/**
 * Micrometer meters for Hybrid Relay, as an optional module: the libraries report to their own small
 * hooks ({@link dev.hybridrelay.server.RelayServerMetrics}, {@link dev.hybridrelay.core.RelayMetrics},
 * the forwarders' {@link dev.hybridrelay.forward.ForwardStats}), and the classes here turn those into
 * meters of a {@link io.micrometer.core.instrument.MeterRegistry}. Applications that do not use
 * Micrometer leave this module out and pay nothing.
 *
 * <pre>{@code
 * MeterRegistry registry = ...;
 * LocalRelayServer relay = LocalRelayServer.builder().metrics(RelayServerMeters.bind(registry)).build();
 * RelayClientMeters clients = RelayClientMeters.bind(registry);
 * RelayListener listener = RelayListener.builder(cs).metrics(clients).build();
 * ForwarderMeters.bind(registry).add(ForwarderMeters.Kind.LOCAL, localForwarder::stats);
 * }</pre>
 *
 * <h2>Names and tags</h2>
 * Every meter is named {@code hybridrelay.*} (Prometheus: {@code hybridrelay_*}, with the
 * registry's unit suffixes). Tags take values from small fixed sets only: {@code direction},
 * {@code status} (an HTTP status code, at most 900 values, in practice a handful), {@code outcome},
 * {@code kind}. No meter is tagged with a hybrid connection name, a path, an address or a token:
 * with {@code autoCreate} a relay's names are chosen by its clients and so unbounded. The page
 * "Metrics and health" of the site lists every meter.
 *
 * <h2>Cost</h2>
 * Counters on the data path are {@link java.util.concurrent.atomic.LongAdder}s read by
 * {@link io.micrometer.core.instrument.FunctionCounter}s when the registry is scraped: an event costs
 * one uncontended add, no allocation and no lock. Levels are gauges read at scrape time.
 */
package dev.hybridrelay.micrometer;
